// A report's history of changes (GET versions, newest first): who changed which fields when,
// each old and new value in a disclosure, and Restore for those who may change the report.

import { get, post, segment } from "./api.js";
import { confirmAction } from "./confirm.js";
import { h } from "./dom.js";
import { formatTime } from "./format.js";

const ACTIONS = { "report.created": "Created", "report.changed": "Changed", "report.restored": "Restored" };

/** The section's content; `onRestored()` redraws the page once a version is restored. */
export async function versionHistory(report, { allowed, onRestored, onProblem }) {
  const versions = await get(`api/reports/${segment(report.id)}/versions`);
  if (!versions.length) return h("p", { class: "empty" }, "No recorded changes.");
  const newest = versions[0].version;
  return h("ol", { class: "versions" }, versions.map((version) => h("li", { class: "version", "data-version": version.version },
    h("div", { class: "version-head" },
      h("strong", {}, `Version ${version.version}`),
      h("span", {}, ` · ${ACTIONS[version.action] ?? version.action}`,
        version.restored_version ? ` from version ${version.restored_version}` : "",
        ` · ${formatTime(version.occurred_at)}`, version.actor_email ? ` · ${version.actor_email}` : ""),
      allowed && version.version !== newest
        ? h("button", { type: "button", class: "button secondary small", "aria-label": `Restore version ${version.version}`, onclick: async () => {
          if (!(await confirmAction(`Make the report's definition what it was at version ${version.version}? This is saved as a new version; nothing is lost.`, "Restore"))) return;
          try {
            await post(`api/reports/${segment(report.id)}/versions/${segment(version.version)}/restore`);
            onRestored();
          } catch (error) { onProblem(error); }
        } }, "Restore")
        : null),
    changeList(version))));
}

function changeList({ action, changes }) {
  const fields = Object.keys(changes);
  if (!fields.length) return null;
  const words = action === "report.created" ? "The first definition" : fields.map((name) => name.replaceAll("_", " ")).join(", ");
  return h("details", { class: "small" },
    h("summary", {}, words),
    h("dl", { class: "changes" }, fields.flatMap((name) => [
      h("dt", {}, name.replaceAll("_", " ")),
      h("dd", {}, valueBlock("was", changes[name]?.old), valueBlock("now", changes[name]?.new)),
    ])));
}

function valueBlock(word, value) {
  const text = value === null || value === undefined ? "—" : typeof value === "string" ? value : JSON.stringify(value);
  return h("div", {}, h("span", { class: "muted" }, `${word}: `), h("pre", { class: "code inline-value" }, text));
}
