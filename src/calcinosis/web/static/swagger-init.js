// Starts Swagger UI on the served OpenAPI document (a file, so that no inline script is needed).
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({ url: "/api/v1/openapi.json", dom_id: "#swagger-ui" });
});
