// A confirmation in a modal <dialog> (keyboard: Tab between the buttons, Escape cancels).

import { h } from "./dom.js";

/** Resolves true when the person confirms. */
export function confirmAction(message, confirmLabel) {
  return new Promise((resolve) => {
    const cancel = h("button", { type: "button", class: "button secondary" }, "Cancel");
    const confirm = h("button", { type: "button", class: "button danger" }, confirmLabel);
    const dialog = h(
      "dialog",
      { class: "confirm", "aria-labelledby": "confirm-message" },
      h("p", { id: "confirm-message" }, message),
      h("div", { class: "actions" }, cancel, confirm),
    );
    const close = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    cancel.addEventListener("click", () => close(false));
    confirm.addEventListener("click", () => close(true));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      close(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
