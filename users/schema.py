"""OpenAPI description of the project's authentication (loaded from UsersConfig.ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerJWTScheme(OpenApiAuthenticationExtension):
    """users.authentication.JWTAuthentication takes the access token from either place (docs/accounts.md)."""

    target_class = "users.authentication.JWTAuthentication"
    name = ["jwtAuth", "cookieAuth"]
    match_subclasses = True

    def get_security_requirement(self, auto_schema):
        return [{"jwtAuth": []}, {"cookieAuth": []}]  # either one

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "`Authorization: Bearer <access>` from POST /api/auth/ (lifetime 1 h).",
            },
            {
                "type": "apiKey",
                "in": "cookie",
                "name": "access_token",
                "description": "The HttpOnly access cookie set by POST /api/auth/cookie/. POST, PUT, PATCH and "
                "DELETE also need the CSRF token in the `X-CSRFToken` header (double submit of the `csrftoken` "
                "cookie).",
            },
        ]
