// A plugin variant's own fields in the run form, each drawn from its JSON schema (the
// fields_schema /api/variants gives): a number, an integer, a choice or a boolean, with a slot
// beside it for the server's 422 message about it.

// Whether a variant's fields are its own model's (a plugin's), not the tutorial's form fields.
export function isPlugin(variant) {
  return (variant.origin ?? "tutorial") !== "tutorial";
}

function control(name, schema, value) {
  let node;
  if (schema.enum) {
    node = document.createElement("select");
    schema.enum.forEach((choice, i) => node.append(new Option(String(choice), String(i))));
    node.value = String(Math.max(0, schema.enum.indexOf(value)));
  } else {
    node = document.createElement("input");
    if (schema.type === "boolean") {
      node.type = "checkbox";
      node.checked = Boolean(value);
    } else {
      node.type = "text";
      node.spellcheck = false;
      node.inputMode = schema.type === "integer" ? "numeric" : "decimal";
      if (schema.type === "string") node.inputMode = "text";
      node.value = value ?? "";
    }
  }
  node.id = `f-own-${name}`;
  node.name = `own:${name}`;
  node.dataset.kind = schema.enum ? "choice" : schema.type ?? "string";
  node.setAttribute("aria-describedby", `e-own-${name}`);
  return node;
}

function fieldBox(name, schema, value) {
  const box = document.createElement("div");
  box.className = schema.type === "boolean" ? "field field-check" : "field";
  box.dataset.fieldFor = name;
  box.dataset.own = "";
  const label = document.createElement("label");
  label.htmlFor = `f-own-${name}`;
  label.textContent = schema.title ?? name;
  const input = control(name, schema, value);
  const error = document.createElement("p");
  error.className = "field-error";
  error.id = `e-own-${name}`;
  error.dataset.errorFor = name;
  error.setAttribute("role", "alert");
  box.append(label, input);
  if (schema.description) {
    const hint = document.createElement("p");
    hint.className = "hint";
    hint.textContent = schema.description;
    box.append(hint);
  }
  box.append(error);
  return box;
}

// Draw `variant`'s own fields into `group` (a fieldset), with `values` or else their defaults;
// the group is hidden for a variant of the tutorial.
export function drawOwnFields(group, variant, values = {}) {
  const list = group.querySelector("[data-own-list]");
  const properties = isPlugin(variant) ? variant.fields_schema?.properties ?? {} : {};
  const boxes = Object.entries(properties).map(([name, schema]) =>
    fieldBox(name, schema, name in values ? values[name] : variant.defaults[name]));
  list.replaceChildren(...boxes);
  group.hidden = boxes.length === 0;
}

// A typed number as JSON: a number when it is one, else the text, so the server says what is wrong.
function typed(text) {
  const value = text.trim();
  if (value === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : value;
}

// The own fields' values as the request's top-level fields (empty ones left to the defaults).
export function readOwnFields(group, variant) {
  const body = {};
  if (group.hidden) return body;
  const properties = variant.fields_schema?.properties ?? {};
  for (const node of group.querySelectorAll("[name^='own:']")) {
    const name = node.name.slice(4);
    const kind = node.dataset.kind;
    let value;
    if (kind === "choice") value = properties[name].enum[Number(node.value)];
    else if (kind === "boolean") value = node.checked;
    else if (kind === "integer" || kind === "number") value = typed(node.value);
    else value = node.value;
    if (value !== null) body[name] = value;
  }
  return body;
}
