"""The web front end: the admin console (``/console/``), the public big screen (``/display/{shareId}``), the
rank widget (``/widget/rank``) and the offline API reference page. Server-rendered Jinja2 templates and htmx,
assets vendored in ``static/``; the views call the same services the API handlers call."""
