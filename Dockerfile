# The web client (web/), built from its lockfile as `make run` builds it; only web/dist reaches an image.
FROM node:20-bookworm-slim AS web-client
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# nginx on :8080 with the built client at / (docker-compose's `nginx` service builds this target).
FROM nginx:1.27-alpine AS nginx
COPY nginx/docker.conf /etc/nginx/conf.d/default.conf
COPY --from=web-client /web/dist /srv/web

# Production image (the default target, last): gunicorn serving the Django app; the same image runs migrations,
# the outbox relay and one-shot commands (docker-compose.yml). Dependencies come from the same lock file as
# `make run`/`make test`.
FROM python:3.11-slim-bookworm AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --uid 1000 app

WORKDIR /app
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .
RUN python manage.py compilemessages -l ru >/dev/null \
    && DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput >/dev/null \
    && mkdir -p /app/media && chown -R app:app /app/media /app/static

USER app
EXPOSE 8000
CMD ["gunicorn", "application.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-", "--forwarded-allow-ips", "*"]
