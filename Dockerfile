# Production image: gunicorn serving the Django app; the same image runs migrations, the outbox relay and
# one-shot commands (docker-compose.yml). Dependencies come from the same lock file as `make run`/`make test`.
FROM python:3.11-slim-bookworm

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
