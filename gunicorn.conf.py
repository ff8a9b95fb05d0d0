"""gunicorn's settings, read by itself from the working directory (`make run`, `make bench`, the Docker image).

gunicorn answers malformed requests with its own HTML error page. nginx stands in front everywhere and its limits
are the tighter ones (nginx/messenger.conf.template: request line and each header under 6 KB, all headers under
24 KB), so a request gunicorn would refuse for its size never reaches it, and the error comes from nginx in the
API's JSON shape. These limits are set to gunicorn's maxima for that reason.
"""

# The request line (method, URL, version) and each header line: gunicorn's maxima (nginx refuses above 6 KB).
limit_request_line = 8190
limit_request_field_size = 8190
# gunicorn's default of 100 headers is below what nginx lets through in 24 KB: its maximum.
limit_request_fields = 32768

# A worker stuck longer than this is killed and replaced (its request fails; the others go on).
timeout = 60
graceful_timeout = 10

# gunicorn 27's control socket (gunicornc) is not used here, and its default path is one per user: parallel stacks
# (`make run`, benchmarks, tests) would contend for it.
control_socket_disable = True
