// The runs table's columns: which show. A person's choice (the Columns menu) is kept in
// localStorage; without one, columns are hidden least useful first until the table fits its box,
// at whatever width the page has.
const KEY = "lossboard.columns";
// hidden first when the table is too wide; the run's id, ticks and actions always show
const FIT_ORDER = ["created", "optimizer", "lr", "sweep", "duration", "tags", "device", "name", "variant",
  "best", "progress", "status"];

function stored() {
  try {
    const hidden = JSON.parse(localStorage.getItem(KEY))?.hidden;
    return Array.isArray(hidden) ? hidden.filter((col) => FIT_ORDER.includes(col)) : null;
  } catch {
    return null; // none kept, or storage refused
  }
}

function keep(hidden) {
  try {
    if (hidden === null) localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, JSON.stringify({ hidden }));
  } catch {
    // not kept: the choice holds until the page is left
  }
}

export function setUpColumns(table, box, menu) {
  const show = (hidden) => {
    for (const col of FIT_ORDER) table.classList.toggle(`hide-${col}`, hidden.includes(col));
    for (const input of menu.querySelectorAll("input")) input.checked = !hidden.includes(input.name);
  };
  // without a choice: hide columns in FIT_ORDER until the table is no wider than its box
  const fit = () => {
    const chosen = stored();
    if (chosen) return show(chosen);
    const hidden = [];
    show(hidden);
    for (const col of FIT_ORDER) {
      if (table.scrollWidth <= box.clientWidth) break;
      hidden.push(col);
      show(hidden);
    }
  };
  menu.addEventListener("change", () => {
    const hidden = [...menu.querySelectorAll("input")].filter((i) => !i.checked).map((i) => i.name);
    keep(hidden);
    show(hidden);
  });
  menu.querySelector("#columns-fit").addEventListener("click", () => {
    keep(null);
    fit();
  });
  let width = box.clientWidth;
  new ResizeObserver(() => {
    if (box.clientWidth === width) return; // its height follows the rows: no need to fit again
    width = box.clientWidth;
    fit();
  }).observe(box);
  fit();
  return fit; // the page calls it again when its rows change
}
