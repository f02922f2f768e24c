import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "network_portal.settings")
application = get_wsgi_application()
# What start-up loaded lives as long as the process: keep it out of the collector's full passes
# (each walked the whole loaded app, ~80 ms on the bench machine, often a page's p95).
gc.freeze()
