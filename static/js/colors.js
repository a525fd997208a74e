// A run's colour: stable, derived from its id, the same on every page (the sweep page, which
// colours by the swept value, is the one exception). Neighbouring ids get distinct hues, and
// each theme has its own tuning: darker lines on white, lighter ones on the dark background.
// Every two colours of a theme differ by at least 15 in CIEDE2000 (tests/pages/test_run_colors.py):
// runs take all ten in turn.
const PALETTES = {
  // Tableau 10, its pale yellow, pink and grey darkened to stand out on white, its purple deepened
  // away from the pink
  light: ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
          "#7b4ea3", "#c49a00", "#9c755f", "#e377c2", "#7f7f7f"],
  // the same hues, lifted for a dark background; the purple bluer, the pink stronger and the tan
  // darker, so that none passes for the salmon or for each other
  dark: ["#7aa6d6", "#ffad5c", "#86cc7a", "#ff8486", "#9fe0da",
         "#b48ee8", "#ffe57a", "#a8876f", "#ff9ee0", "#d8d0cc"],
};

// The page's theme: "dark" or "light", as <html data-theme> says (the theme script sets it).
export function theme() {
  return document.documentElement.dataset.theme === "dark" ? "dark" : "light";
}

// The colour of run `id` in the current theme.
export function runColor(id) {
  const palette = PALETTES[theme()];
  return palette[((Number(id) % palette.length) + palette.length) % palette.length];
}
