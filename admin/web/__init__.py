"""The web app: public sign-up pages and the /admin console (see admin.web.app)."""
