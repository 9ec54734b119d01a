//! Full lint (load + parse + model + grammar + rules) of a generated
//! 5,000-server configuration, against parsing it alone. The target: lint
//! at most 3× the parse time, and the model stays O(n).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ngxray::lint::{lint_loaded, LintOptions};
use ngxray::load::{LoadOptions, Loaded};

/// A main config with `n` servers: upstream blocks, locations with
/// proxy/fastcgi passes, timeouts, inherited and overridden headers.
pub fn generate(n: usize) -> String {
    let mut s = String::from(
        "user nginx;\nworker_processes auto;\nevents { worker_connections 4096; }\nhttp {\n    resolver 10.0.0.2 valid=30s;\n    resolver_timeout 5s;\n    proxy_read_timeout 60s;\n    proxy_set_header Host $host;\n    proxy_set_header X-Real-IP $remote_addr;\n    map $http_upgrade $connection_upgrade { default upgrade; '' close; }\n",
    );
    for i in 0..n {
        s.push_str(&format!(
            "    upstream app{i} {{\n        server 10.{}.{}.1:8080 max_fails=3 fail_timeout=30s;\n        server 10.{}.{}.2:8080 max_fails=3 fail_timeout=30s;\n        keepalive 16;\n    }}\n",
            i / 250,
            i % 250,
            i / 250,
            i % 250
        ));
        s.push_str(&format!(
            "    server {{\n        listen 80;\n        server_name site{i}.example.com;\n        access_log /var/log/nginx/site{i}.log;\n        location / {{\n            proxy_http_version 1.1;\n            proxy_set_header Connection \"\";\n            proxy_pass http://app{i};\n        }}\n        location /api/ {{\n            proxy_read_timeout 30s;\n            proxy_connect_timeout 5s;\n            proxy_pass http://app{i}/v1/;\n        }}\n        location /ws {{\n            proxy_set_header Upgrade $http_upgrade;\n            proxy_set_header Connection $connection_upgrade;\n            proxy_read_timeout 1h;\n            proxy_pass http://127.0.0.1:{};\n        }}\n        location ~ \\.php$ {{\n            include fastcgi_params;\n            fastcgi_pass unix:/run/php/php-fpm.sock;\n        }}\n    }}\n",
            3000 + i % 1000
        ));
    }
    s.push_str("}\n");
    s
}

fn load(text: &str) -> Loaded {
    let mut l = Loaded::default();
    l.load_text(
        "bench/nginx.conf".into(),
        text.as_bytes().to_vec(),
        &LoadOptions {
            follow_includes: false,
            ..Default::default()
        },
    );
    l
}

fn bench(c: &mut Criterion) {
    let text = generate(5000);
    let opts = LintOptions::default();
    let mut g = c.benchmark_group("5000-servers");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("parse", |b| b.iter(|| black_box(load(black_box(&text)))));
    g.bench_function("lint", |b| {
        b.iter(|| black_box(lint_loaded(load(black_box(&text)), &opts)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
