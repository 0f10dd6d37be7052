# tgassist production image: a wheel built in one stage, installed into a slim runtime with
# Tesseract (rus + eng), run as an unprivileged user. Roles are chosen by the command:
#   tgassist api | bot | scheduler | worker [--stages …] | run
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY tgassist ./tgassist
COPY migrations ./migrations
# Wheels of every dependency, plus the build backend for the editable install below.
RUN python -m pip wheel --wheel-dir /wheels . hatchling editables

FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 OMP_THREAD_LIMIT=1 \
    TGASSIST_ENV=production TGASSIST_DATA_DIR=/data TGASSIST_API_HOST=0.0.0.0
RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-rus tesseract-ocr-eng curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 tgassist \
 && useradd --system --uid 10001 --gid tgassist --home-dir /app --shell /usr/sbin/nologin tgassist \
 && mkdir -p /data /app && chown tgassist:tgassist /data /app
WORKDIR /app
# The package stays a source tree beside migrations/ (Alembic finds them next to the package).
COPY --chown=tgassist:tgassist pyproject.toml README.md ./
COPY --chown=tgassist:tgassist tgassist ./tgassist
COPY --chown=tgassist:tgassist migrations ./migrations
COPY --from=build /wheels /wheels
RUN python -m pip install --no-index --find-links /wheels -e /app && rm -rf /wheels
USER tgassist
VOLUME ["/data"]
EXPOSE 8080 9100
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/health || exit 1
ENTRYPOINT ["tgassist"]
CMD ["run"]
