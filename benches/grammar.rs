//! Grammar validation cost against parse cost on a 5,000-server
//! configuration (the target: validation adds at most 20% to parsing).
//! `cargo bench --bench grammar`.

use criterion::{criterion_group, criterion_main, Criterion};
use ngxray::lint::{grammar, LintOptions, LintOutcome, Root};
use ngxray::load::{LoadOptions, Loaded};
use ngxray::model::Context;

fn config(servers: usize) -> Vec<u8> {
    let mut s = String::from(
        "worker_processes auto;\nevents { worker_connections 1024; }\nhttp {\n    log_format main '$remote_addr $status $upstream_status';\n    access_log /var/log/nginx/access.log main;\n    proxy_read_timeout 60s;\n    client_max_body_size 10m;\n",
    );
    for i in 0..servers {
        s.push_str(&format!(
            "    upstream app{i} {{\n        server 10.0.{}.{}:8080 max_fails=3 fail_timeout=30s;\n        server 10.1.{}.{}:8080 backup;\n        keepalive 16;\n    }}\n    server {{\n        listen 80;\n        listen 443 ssl;\n        server_name s{i}.example.com;\n        ssl_certificate /etc/ssl/s{i}.pem;\n        ssl_certificate_key /etc/ssl/s{i}.key;\n        root /srv/s{i};\n        location / {{\n            proxy_pass http://app{i};\n            proxy_set_header Host $host;\n            proxy_http_version 1.1;\n            proxy_connect_timeout 5s;\n            proxy_buffering on;\n        }}\n        location ~ \\.php$ {{\n            fastcgi_pass 127.0.0.1:9000;\n            include fastcgi_params;\n        }}\n        error_page 502 504 /50x.html;\n    }}\n",
            i / 250,
            i % 250,
            i / 250,
            i % 250
        ));
    }
    s.push_str("}\n");
    s.into_bytes()
}

fn bench(c: &mut Criterion) {
    let text = config(5000);
    let opts = LoadOptions::default();
    let mut g = c.benchmark_group("5000-servers");
    g.sample_size(10);
    g.bench_function("parse", |b| {
        b.iter(|| {
            let mut l = Loaded::default();
            l.load_text("nginx.conf".into(), text.clone(), &opts);
            l
        })
    });
    let mut loaded = Loaded::default();
    let roots = loaded.load_text("nginx.conf".into(), text.clone(), &opts);
    let outcome = LintOutcome {
        loaded,
        roots: vec![Root {
            file: roots[0],
            context: Context::Main,
        }],
        diagnostics: Vec::new(),
    };
    let lint = LintOptions::default();
    g.bench_function("grammar", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            grammar::check(&outcome, &lint, &mut out);
            out
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
