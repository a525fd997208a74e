// The page's theme, set on <html data-theme> before the first paint: a classic script in <head>
// (the CSP runs no inline script). A choice made with the header's toggle is kept in
// localStorage; without one the theme follows the system's prefers-color-scheme, live.
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

  const syncToggle = () => {
    const button = document.getElementById("theme-toggle");
    if (button) button.setAttribute("aria-pressed", String(root.dataset.theme === "dark"));
  };

  const apply = (theme) => {
    if (root.dataset.theme === theme) return;
    root.dataset.theme = theme;
    syncToggle();
    window.dispatchEvent(new CustomEvent("themechange", { detail: { theme } }));
  };

  const choose = (theme) => {
    try {
      localStorage.setItem(KEY, theme);
    } catch {
      // not kept: the choice holds until the page is left
    }
    apply(theme);
  };

  root.dataset.theme = stored() ?? (system.matches ? "dark" : "light");
  system.addEventListener("change", () => stored() ?? apply(system.matches ? "dark" : "light"));
  document.addEventListener("DOMContentLoaded", syncToggle);
  // the header is parsed after this script runs: listen on the document for its toggle
  document.addEventListener("click", (event) => {
    if (!event.target.closest?.("#theme-toggle")) return;
    choose(root.dataset.theme === "dark" ? "light" : "dark");
  });
})();
