# smm production image: gunicorn serving Django, static files built in and served by whitenoise.
# UNTESTED on the machine this was written on (it has no container engine); see docs/deploy.md.
#   docker build -t smm .
#   docker compose up -d        (compose.yaml: the app, PostgreSQL and a one-off migrate)
FROM python:3.13-slim-bookworm

# WeasyPrint (PDF reports) needs Pango and HarfBuzz; curl is for the health check.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core curl \
 && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=smm_site.settings.production \
    GUNICORN_BIND=0.0.0.0:8000 \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/data/media

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin smm
WORKDIR /app

COPY . .
RUN pip install --upgrade pip && pip install .

# collectstatic needs settings that load; these throwaway values never reach the running container.
RUN SECRET_KEY=build-only-not-secret-$(python -c 'import secrets; print(secrets.token_hex(32))') \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput -v0 \
 && mkdir -p /data/media && chown -R smm:smm /data

USER smm
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD curl -fs http://127.0.0.1:8000/healthz || exit 1
CMD ["gunicorn", "-c", "gunicorn.conf.py"]
