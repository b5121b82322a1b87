// Loaded as a file (not inline) so the page keeps the strict Content-Security-Policy.
window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
