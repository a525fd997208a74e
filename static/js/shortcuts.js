// A page's one-key shortcuts, ignored while a person types in a field or holds a modifier; "?"
// lists them in a dialog. `keys`: {key: [what it does, action]}.
const typing = (node) => node.closest?.("input, textarea, select, [contenteditable]") !== null;

export function shortcuts(keys) {
  const all = { ...keys, "?": ["list these shortcuts", () => showList(all)] };
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (document.querySelector("dialog[open]")) return; // a dialog answers its own keys
    const entry = all[event.key];
    if (!entry) return;
    event.preventDefault();
    entry[1]();
  });
}

// The shortcuts as a dialog, made the first time it is asked for.
function showList(all) {
  let dialog = document.getElementById("shortcuts-dialog");
  if (!dialog) {
    dialog = document.createElement("dialog");
    dialog.id = "shortcuts-dialog";
    dialog.className = "card confirm shortcuts";
    dialog.setAttribute("aria-labelledby", "shortcuts-title");
    const title = Object.assign(document.createElement("h2"), { id: "shortcuts-title" });
    title.textContent = "Keyboard shortcuts";
    const list = document.createElement("dl");
    for (const [key, [what]] of Object.entries(all)) {
      const kbd = document.createElement("kbd");
      kbd.textContent = key;
      const dt = document.createElement("dt");
      dt.append(kbd);
      const dd = document.createElement("dd");
      dd.textContent = what;
      list.append(dt, dd);
    }
    const form = Object.assign(document.createElement("form"), { method: "dialog" });
    const close = Object.assign(document.createElement("button"), { className: "btn" });
    close.textContent = "Close";
    form.append(close);
    dialog.append(title, list, form);
    document.body.append(dialog);
  }
  dialog.showModal();
}

// Ask before an action: true when the person chose `yes`. `text` says what is asked.
export function confirmAction(text, yes, no) {
  const dialog = document.createElement("dialog");
  dialog.className = "card confirm";
  const question = document.createElement("h2");
  question.textContent = text;
  const form = Object.assign(document.createElement("form"), { method: "dialog" });
  const actions = Object.assign(document.createElement("div"), { className: "form-actions" });
  const keep = Object.assign(document.createElement("button"), { className: "btn", value: "no" });
  keep.textContent = no;
  const go = Object.assign(document.createElement("button"), { className: "btn danger-solid", value: "yes" });
  go.textContent = yes;
  actions.append(keep, go);
  form.append(actions);
  dialog.append(question, form);
  document.body.append(dialog);
  dialog.showModal();
  keep.focus();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "yes");
      dialog.remove();
    }, { once: true });
  });
}
