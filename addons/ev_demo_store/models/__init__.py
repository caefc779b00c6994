from . import ev_demo_history
