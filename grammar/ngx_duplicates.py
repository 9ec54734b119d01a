#!/usr/bin/env python3
"""List the directives nginx refuses to see twice in one block.

Usage: python3 grammar/ngx_duplicates.py COMMIT NGINX_SRC > grammar/duplicates.tsv

NGINX_SRC is the `src/` folder of an nginx checkout at COMMIT (recorded in
the output's first line). Prints `name`, `module` and `handler` of every
directive whose handler answers `"is duplicate"` whenever the directive
was already set in the same block:

* the `ngx_conf_set_*_slot` handlers of nginx's core that check the slot
  first (flag, str, num, size, off, msec, sec, bufs, enum, access, path),
  read from their bodies, not listed by hand;
* the module handlers in `UNCONDITIONAL` below, whose first statement is
  the same check (read by a person: the script prints the handlers that
  say "is duplicate" and are in neither list, so a new one is seen).

Handlers that say it only for some values or pairs are left out, so
that the list never makes ngxray refuse what nginx accepts: `limit_req`
and `limit_conn` (the same zone twice), `proxy_redirect` and the
`proxy_cookie_*` family (`off` after values), `mirror` (`off` after a
URI), the complex-value slot (`off` unsets it), `worker_priority` (a
priority of 0 does not count) and `root`/`alias` (already checked with
their own message).
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ngx_commands  # noqa: E402

UNCONDITIONAL = {
    "ngx_event_connections", "ngx_event_use", "ngx_openssl_engine",
    "ngx_http_core_set_aio", "ngx_http_core_directio", "ngx_http_core_open_file_cache",
    "ngx_http_core_keepalive", "ngx_http_core_internal", "ngx_http_core_resolver",
    "ngx_http_disable_symlinks", "ngx_http_upstream_resolver", "ngx_http_memcached_pass",
    "ngx_http_headers_expires", "ngx_http_ssl_certificate_cache", "ngx_http_ssl_password_file",
    "ngx_http_ssl_ocsp_cache", "ngx_http_auth_request", "ngx_http_proxy_pass",
    "ngx_http_proxy_store", "ngx_http_proxy_cache", "ngx_http_proxy_cache_key",
    "ngx_http_proxy_ssl_password_file", "ngx_http_userid_expires", "ngx_http_userid_mark",
    "ngx_http_xslt_entities", "ngx_http_scgi_pass", "ngx_http_scgi_store",
    "ngx_http_scgi_cache", "ngx_http_scgi_cache_key", "ngx_http_set_charset_slot",
    "ngx_http_grpc_pass", "ngx_http_grpc_ssl_password_file", "ngx_http_tunnel_pass",
    "ngx_http_try_files", "ngx_http_upstream_keepalive", "ngx_http_realip",
    "ngx_http_log_open_file_cache", "ngx_http_fastcgi_pass", "ngx_http_fastcgi_store",
    "ngx_http_fastcgi_cache", "ngx_http_fastcgi_cache_key", "ngx_http_auth_basic_user_file",
    "ngx_http_geoip_country", "ngx_http_geoip_org", "ngx_http_geoip_city",
    "ngx_http_uwsgi_pass", "ngx_http_uwsgi_store", "ngx_http_uwsgi_cache",
    "ngx_http_uwsgi_cache_key", "ngx_http_uwsgi_ssl_password_file", "ngx_http_quic_host_key",
    "ngx_mail_core_resolver", "ngx_mail_ssl_password_file", "ngx_stream_return",
    "ngx_stream_geoip_country", "ngx_stream_geoip_org", "ngx_stream_geoip_city",
    "ngx_stream_core_resolver", "ngx_stream_ssl_certificate_cache",
    "ngx_stream_ssl_password_file", "ngx_stream_ssl_ocsp_cache", "ngx_stream_ssl_alpn",
    "ngx_stream_upstream_resolver", "ngx_stream_proxy_pass", "ngx_stream_proxy_bind",
    "ngx_stream_log_open_file_cache", "ngx_stream_pass", "ngx_set_user",
    "ngx_set_cpu_affinity", "ngx_set_worker_processes", "ngx_http_core_limit_except",
}
# Said for some values or pairs only (see the docstring), or blocks that
# the grammar checks on their own.
CONDITIONAL = {
    "ngx_http_core_root", "ngx_http_set_complex_value_slot", "ngx_http_proxy_redirect",
    "ngx_http_proxy_cookie_domain", "ngx_http_proxy_cookie_path", "ngx_http_proxy_cookie_flags",
    "ngx_http_limit_req", "ngx_http_limit_conn", "ngx_stream_limit_conn", "ngx_http_mirror",
    "ngx_set_priority", "ngx_http_upstream_sticky", "ngx_events_block", "ngx_http_block",
    "ngx_mail_block", "ngx_stream_block",
}

HANDLER = re.compile(
    r"\n(?:static )?char \*\n(ngx_\w+)\(ngx_conf_t \*cf, ngx_command_t \*cmd, void \*conf\)\n"
    r"\{(.*?)\n\}\n", re.S)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    commit, root = sys.argv[1:]
    says = set()
    for text in ngx_commands.sources(root).values():
        for m in HANDLER.finditer(text):
            if '"is duplicate"' in m.group(2):
                says.add(m.group(1))
    slots = {h for h in says if h.startswith("ngx_conf_set_") and h.endswith("_slot")}
    unread = sorted(says - slots - UNCONDITIONAL - CONDITIONAL)
    if unread:
        sys.exit("handlers that say \"is duplicate\" and are in no list: %s" % ", ".join(unread))
    out = set()
    for _path, module, name, _flags, handler, _body, _pos in ngx_commands.commands(root):
        if handler in slots or handler in UNCONDITIONAL:
            out.add((name, module, handler))
    w = sys.stdout
    w.write("# nginx/nginx %s: directives whose handler says \"is duplicate\"\n" % commit)
    w.write("name\tmodule\thandler\n")
    for row in sorted(out):
        w.write("\t".join(row) + "\n")


if __name__ == "__main__":
    main()
