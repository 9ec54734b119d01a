#!/usr/bin/env python3
"""List the unit of every directive nginx reads with a unit-parsing slot.

Usage: python3 grammar/ngx_units.py NAME=NGINX_SRC [NAME=NGINX_SRC ...] > grammar/units.tsv

Each NGINX_SRC is the `src/` folder of an nginx checkout, NAME the release
or commit it is at (recorded in the output's first line). Prints `name`,
`module` and `unit` of every directive handled by one of nginx's setters
that parse a value while loading: `ngx_conf_set_size_slot` (size),
`…_off_slot` (offset), `…_msec_slot` (msec), `…_sec_slot` (sec),
`…_num_slot` (number) and `…_bufs_slot` (number size). A directive with
another handler in any of the checkouts is left out (its values are not
read the same way everywhere).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ngx_commands  # noqa: E402

UNITS = {
    "ngx_conf_set_size_slot": "size",
    "ngx_conf_set_off_slot": "offset",
    "ngx_conf_set_msec_slot": "msec",
    "ngx_conf_set_sec_slot": "sec",
    "ngx_conf_set_num_slot": "number",
    "ngx_conf_set_bufs_slot": "number size",
}


def main():
    units = {}
    names = []
    for name, root in ngx_commands.checkouts(sys.argv[1:], __doc__):
        names.append(name)
        for _path, module, directive, _flags, handler, _body, _pos in ngx_commands.commands(root):
            key = (directive, module)
            unit = UNITS.get(handler)
            if key in units and units[key] != unit:
                units[key] = None
            else:
                units.setdefault(key, unit)
    w = sys.stdout
    w.write("# nginx/nginx %s: directives read with a unit-parsing slot\n" % ", ".join(names))
    w.write("name\tmodule\tunit\n")
    for (directive, module), unit in sorted(units.items()):
        if unit:
            w.write("%s\t%s\t%s\n" % (directive, module, unit))


if __name__ == "__main__":
    main()
