"""HTTP adapter: thin routers over the services, one error envelope."""
