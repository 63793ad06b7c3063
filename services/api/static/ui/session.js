// Who is signed in, and what their role lets them do (the server decides; the page only
// leaves out what would be refused).

export const session = { me: null };

export const isAdmin = (me) => me?.role === "admin";
export const canCreateReports = (me) => me?.role === "admin" || me?.role === "editor";

/** Edit, run, pause or delete this report: an admin, or the editor who owns it. */
export function canChangeReport(me, report) {
  return isAdmin(me) || (me?.role === "editor" && report.owner_id === me.id);
}

export function displayName(me) {
  return me.display_name || me.email;
}
