"""The HTTP surface: the app, its routes, middleware, the gateway to the agents, exposed ports."""
