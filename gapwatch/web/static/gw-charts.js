// Draw the Vega-Lite charts of the plan pages and of a board's report on screen. Each chart is an element
// with data-spec="ID" (<div class="gw-chart"> on the plan pages, <div class="gw-chart__canvas"> in a report) whose
// specification sits in <script type="application/json" id="ID"> (data, not code: allowed by the CSP).
// Expressions are evaluated by Vega's interpreter, not eval(), because the Content-Security-Policy forbids
// eval. Every chart has a table beside it, so nothing is lost when JavaScript is off.
import { expressionInterpreter } from "/vendor/vega-interpreter.mjs";

for (const element of document.querySelectorAll(".gw-chart[data-spec], .gw-chart__canvas[data-spec]")) {
  const source = document.getElementById(element.dataset.spec);
  if (!source || typeof window.vegaEmbed !== "function") continue;
  const spec = JSON.parse(source.textContent);
  window
    .vegaEmbed(element, spec, {
      actions: false,
      renderer: "svg",
      ast: true,
      expr: expressionInterpreter,
      // The CSP allows no inline <style>: vega-embed's and vega-tooltip's own styles are in gw-pages.css.
      defaultStyle: false,
      tooltip: { disableDefaultStyle: true },
    })
    .then(() => element.classList.add("gw-chart--drawn"))
    .catch((error) => {
      element.textContent = "The chart could not be drawn; the table below has the same figures.";
      console.error(error);
    });
}
