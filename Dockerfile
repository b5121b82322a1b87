# claims-recon: the API on the embedded DuckDB store, data kept in a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CLAIMS_RECON_DATABASE_URL=/var/lib/claims-recon/claims_recon.duckdb

WORKDIR /app
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app \
    && mkdir -p /var/lib/claims-recon \
    && chown 10001:10001 /var/lib/claims-recon

COPY pyproject.toml README.md LICENSE requirements.txt ./
COPY claims_recon ./claims_recon
COPY app ./app
COPY data/generate_data.py ./data/generate_data.py
COPY docker/entrypoint.sh /usr/local/bin/claims-recon-entrypoint
RUN pip install -r requirements.txt

# No USER: the entrypoint drops root before anything runs (see docker/entrypoint.sh), as
# the app user, or as the owner of a mounted $HOST_OUTPUT_DIR for the generator.
ENTRYPOINT ["claims-recon-entrypoint"]
VOLUME ["/var/lib/claims-recon"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
