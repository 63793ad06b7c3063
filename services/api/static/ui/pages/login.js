// The sign-in form: e-mail and password, answered by the browser-session login.

import { post } from "../api.js";
import { field, h } from "../dom.js";

/** `onSignedIn(answer)` gets the login's answer (user and CSRF token). */
export function loginPage(onSignedIn) {
  const email = h("input", { id: "email", name: "email", type: "email", autocomplete: "username", required: true, maxlength: 320 });
  const password = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true, maxlength: 1024 });
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const button = h("button", { type: "submit", class: "button" }, "Sign in");
  const form = h(
    "form",
    { class: "card narrow", "aria-labelledby": "sign-in-title" },
    h("h1", { id: "sign-in-title" }, "Sign in"),
    h("p", { class: "muted" }, "Scheduled SQL reports, their runs and their files."),
    field("Email", email),
    field("Password", password),
    problem,
    h("div", { class: "actions" }, button),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    problem.hidden = true;
    try {
      onSignedIn(await post("api/auth/login", { email: email.value, password: password.value }));
    } catch (error) {
      problem.textContent = error.status === 401 ? "The e-mail or the password is wrong." : error.message;
      problem.hidden = false;
      password.select();
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
