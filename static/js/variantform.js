// The run form by variant: the variants grouped by tutorial, only the fields the chosen one
// accepts (its registry entry's `fields`), and "Run all" for every variant of its tutorial.

// Fields of the form that a request carries whatever the variant: not its own RunCreate fields.
const ALWAYS = new Set(["variant", "name"]);

// The tutorials in the registry's order, each with its variants.
export function byTutorial(variants) {
  const groups = new Map();
  for (const v of variants) groups.set(v.tutorial, [...(groups.get(v.tutorial) ?? []), v]);
  return groups;
}

// The variant <select>'s options, one <optgroup> per tutorial.
export function variantOptions(variants) {
  return [...byTutorial(variants)].map(([tutorial, members]) => {
    const group = document.createElement("optgroup");
    group.label = tutorial;
    group.append(...members.map((v) => new Option(`${v.id} — ${v.section}`, v.id)));
    return group;
  });
}

// The form's fields a plugin takes: its own are drawn apart (ownfields.js).
const COMMON = ["device", "iterations", "seed"];

// Show the fields `variant` accepts and hide those another variant accepts but it does not.
export function showFields(form, variants, variant) {
  const plugin = (variant.origin ?? "tutorial") !== "tutorial";
  const mine = new Set(plugin ? COMMON : variant.fields);
  const anyone = new Set(variants.flatMap((v) => v.fields));
  for (const box of form.querySelectorAll(".field[data-field-for]:not([data-own])")) {
    const name = box.dataset.fieldFor;
    if (anyone.has(name)) box.hidden = !mine.has(name);
  }
  for (const group of form.querySelectorAll("[data-field-group]")) {
    group.hidden = ![...group.querySelectorAll(".field[data-field-for]")].some((box) => !box.hidden);
  }
}

// A request body cut to what `variant` accepts.
export function accepted(body, variant) {
  const mine = new Set(variant.fields);
  return Object.fromEntries(Object.entries(body).filter(([k]) => ALWAYS.has(k) || mine.has(k)));
}

// "Run all N" names how many variants the chosen one's tutorial has.
export function showRunAll(button, variants, variant) {
  button.textContent = `Run all ${byTutorial(variants).get(variant.tutorial).length}`;
  button.title = `every ${variant.tutorial} variant, one shared seed, then compare them`;
}

// "Run all": the bodies that run each variant of `variant`'s tutorial once, all with `seed`, the
// form's iterations and data sizes, and its device when a variant can use it; each with its own
// learning rate and optimizer.
export function runAllBodies(variants, variant, form, seed, device) {
  const members = byTutorial(variants).get(variant.tutorial);
  const shared = ["iterations", "N", "D_in", "H", "D_out", "points"];
  return members.map((v) => {
    const sizes = Object.fromEntries(shared.filter((k) => k in form).map((k) => [k, form[k]]));
    const usable = device && v.devices.includes(device.kind) ? device.id : "auto";
    const name = `${v.id} · seed ${seed}`; // a comparison's legend tells them apart by it
    return accepted({ variant: v.id, name, seed, device: usable, ...sizes }, v);
  });
}
