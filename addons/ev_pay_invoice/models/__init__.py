from . import ev_store
