// The page's theme, set on <html data-theme> before the first paint: a classic script in <head>
// (the CSP runs no inline script). The header's toggle goes round system, dark and light; a
// choice of dark or light is kept in localStorage, and without one the theme follows the
// system's prefers-color-scheme, live.
// Every change dispatches window "themechange", on which the charts redraw.
(() => {
  const KEY = "lossboard.theme";
  const root = document.documentElement;
  const system = window.matchMedia("(prefers-color-scheme: dark)");

  const stored = () => {
    try {
      const value = localStorage.getItem(KEY);
      return value === "dark" || value === "light" ? value : null;
    } catch {
      return null; // storage refused (a sandboxed frame, a locked-down profile)
    }
  };

  // The toggle's three states: following the system, or a kept choice of dark or light.
  const LABELS = { system: "Theme: system", dark: "Theme: dark", light: "Theme: light" };
  const systemTheme = () => (system.matches ? "dark" : "light");

  const syncToggle = () => {
    const button = document.getElementById("theme-toggle");
    if (!button) return;
    const choice = stored() ?? "system";
    button.dataset.choice = choice;
    button.querySelector(".theme-label").textContent = LABELS[choice];
    button.title = `${LABELS[choice]} (now ${root.dataset.theme}); click for ${LABELS[next(choice)].toLowerCase()}`;
  };

  const apply = (theme) => {
    syncToggle();
    if (root.dataset.theme === theme) return;
    root.dataset.theme = theme;
    window.dispatchEvent(new CustomEvent("themechange", { detail: { theme } }));
  };

  // system -> the theme it does not show -> the one it does -> system: each click but the last
  // changes the colours, and the last goes back to following the system.
  const next = (choice) => {
    if (choice === "system") return systemTheme() === "dark" ? "light" : "dark";
    return choice === systemTheme() ? "system" : systemTheme();
  };

  const choose = (choice) => {
    try {
      if (choice === "system") localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, choice);
    } catch {
      // not kept: the choice holds until the page is left
    }
    apply(choice === "system" ? systemTheme() : choice);
    syncToggle();
  };

  root.dataset.theme = stored() ?? (system.matches ? "dark" : "light");
  system.addEventListener("change", () => stored() ?? apply(systemTheme()));
  document.addEventListener("DOMContentLoaded", syncToggle);
  // the header is parsed after this script runs: listen on the document for its toggle
  document.addEventListener("click", (event) => {
    if (!event.target.closest?.("#theme-toggle")) return;
    choose(next(stored() ?? "system"));
  });
})();
