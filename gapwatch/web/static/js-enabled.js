// Mark the page as JavaScript-capable before it is painted (GOV.UK Frontend styles depend on these classes).
// Kept in a file because the Content-Security-Policy allows no inline script.
document.body.className +=
  " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
