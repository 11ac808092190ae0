// Start GOV.UK Frontend's components (error summary focus, service navigation menu, details …).
import { initAll } from "/vendor/govuk/govuk-frontend.min.js";

initAll();
