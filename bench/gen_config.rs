//! Deterministic generator of a large, realistic nginx configuration for
//! the parse and lint benchmarks: one `http` block with upstream pools and
//! virtual hosts (listen, server_name, TLS on some, locations proxying to
//! the pools, headers, timeouts, buffers, comments). The same `servers`
//! count always gives the same bytes. Shared by `benches/parse.rs` and
//! `examples/gen-config.rs` (which writes it to a file for the scripts).

/// A small linear congruential generator: deterministic, no dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const APPS: &[&str] = &[
    "shop", "api", "auth", "media", "search", "billing", "admin", "cdn", "chat", "docs",
];
const TLDS: &[&str] = &["example.com", "example.net", "example.org", "test.internal"];
const TIMEOUTS: &[&str] = &["5s", "10s", "30s", "60s", "75s", "120s", "300s"];
const HEADERS: &[(&str, &str)] = &[
    ("X-Frame-Options", "SAMEORIGIN"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    (
        "Strict-Transport-Security",
        "\"max-age=31536000; includeSubDomains\"",
    ),
];

/// Number of upstream pools for `servers` virtual hosts.
pub fn upstream_count(servers: usize) -> usize {
    (servers / 10).max(1)
}

/// Generate the configuration text.
pub fn generate(servers: usize) -> String {
    let mut rng = Lcg(0x6e67_7872_6179);
    let mut s = String::with_capacity(servers * 950 + 4096);
    let pools = upstream_count(servers);
    s.push_str("# Generated benchmark configuration: ");
    s.push_str(&format!(
        "{servers} virtual hosts, {pools} upstream pools.\n"
    ));
    s.push_str(
        "user www-data;\nworker_processes auto;\nworker_rlimit_nofile 65535;\n\
         error_log /var/log/nginx/error.log warn;\npid /run/nginx.pid;\n\n\
         events {\n    worker_connections 4096;\n    multi_accept on;\n}\n\n\
         http {\n    default_type application/octet-stream;\n\
         \x20   log_format main '$remote_addr - $remote_user [$time_local] \"$request\" '\n\
         \x20                   '$status $body_bytes_sent \"$http_referer\" '\n\
         \x20                   '\"$http_user_agent\" rt=$request_time urt=$upstream_response_time';\n\
         \x20   access_log /var/log/nginx/access.log main;\n\
         \x20   sendfile on;\n    tcp_nopush on;\n    keepalive_timeout 65;\n\
         \x20   server_tokens off;\n    client_max_body_size 16m;\n\
         \x20   proxy_http_version 1.1;\n\
         \x20   proxy_set_header Connection \"\";\n\
         \x20   gzip on;\n    gzip_types text/plain text/css application/json application/javascript;\n\n",
    );
    for p in 0..pools {
        let app = APPS[p % APPS.len()];
        s.push_str(&format!("    # pool {p}: {app} backends\n"));
        s.push_str(&format!("    upstream {app}_{p} {{\n"));
        if rng.below(3) == 0 {
            s.push_str("        least_conn;\n");
        }
        let n = 2 + rng.below(3);
        for k in 0..n {
            let port = 8000 + rng.below(1000);
            s.push_str(&format!(
                "        server 127.{}.{}.{}:{port} max_fails=3 fail_timeout=10s",
                (p / 250) % 250,
                p % 250,
                k + 1
            ));
            if k == n - 1 && rng.below(4) == 0 {
                s.push_str(" backup");
            }
            s.push_str(";\n");
        }
        s.push_str(&format!(
            "        keepalive {};\n    }}\n\n",
            16 << rng.below(3)
        ));
    }
    for i in 0..servers {
        let app = rng.pick(APPS);
        let tld = rng.pick(TLDS);
        let pool = i % pools;
        let pool_app = APPS[pool % APPS.len()];
        let tls = rng.below(2) == 0;
        s.push_str(&format!("    # vhost {i}: {app}{i}.{tld}\n    server {{\n"));
        if tls {
            s.push_str("        listen 443 ssl;\n        listen [::]:443 ssl;\n");
            s.push_str(&format!(
                "        ssl_certificate /etc/nginx/tls/{app}{i}.crt;\n        ssl_certificate_key /etc/nginx/tls/{app}{i}.key;\n"
            ));
        } else {
            s.push_str("        listen 80;\n        listen [::]:80;\n");
        }
        s.push_str(&format!(
            "        server_name {app}{i}.{tld} www.{app}{i}.{tld};\n        root /srv/www/{app}{i}/public;\n"
        ));
        for _ in 0..1 + rng.below(2) {
            let (h, v) = HEADERS[rng.below(HEADERS.len() as u64) as usize];
            s.push_str(&format!("        add_header {h} {v} always;\n"));
        }
        s.push_str(&format!(
            "\n        location / {{\n            proxy_pass http://{pool_app}_{pool};\n\
             \x20           proxy_set_header Host $host;\n\
             \x20           proxy_set_header X-Real-IP $remote_addr;\n\
             \x20           proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
             \x20           proxy_set_header X-Forwarded-Proto $scheme;\n\
             \x20           proxy_connect_timeout {};\n\
             \x20           proxy_read_timeout {};\n\
             \x20           proxy_send_timeout {};\n        }}\n",
            rng.pick(&["2s", "3s", "5s"]),
            rng.pick(TIMEOUTS),
            rng.pick(TIMEOUTS),
        ));
        if rng.below(2) == 0 {
            s.push_str(&format!(
                "\n        location /api/ {{\n            # API calls may be slow\n\
                 \x20           proxy_pass http://{pool_app}_{pool}/v1/;\n\
                 \x20           proxy_buffering off;\n\
                 \x20           proxy_read_timeout {};\n        }}\n",
                rng.pick(TIMEOUTS)
            ));
        }
        if rng.below(3) == 0 {
            s.push_str(
                "\n        location ~* \\.(?:css|js|png|jpg|svg|woff2)$ {\n\
                 \x20           expires 30d;\n            access_log off;\n\
                 \x20           try_files $uri =404;\n        }\n",
            );
        }
        if rng.below(4) == 0 {
            s.push_str(
                "\n        location = /healthz {\n            return 200 \"ok\\n\";\n        }\n",
            );
        }
        s.push_str("    }\n\n");
    }
    s.push_str("}\n");
    s
}
