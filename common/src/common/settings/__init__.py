"""Settings shared by every service: `common.settings.base` (see its docstring).

`env` reads typed values from the environment (django-environ); `readers` reads what takes
more than one variable (a service's database, the JWT keys).
"""
