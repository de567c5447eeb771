//! The transfer's Kafka dead-letter destination: documents the index cannot take go to a topic, with the
//! reason and origin, and the partition keeps flowing.

use crate::common::kafka::TopicReader;
use crate::common::store::StoreProcess;
use crate::common::tansu::Tansu;
use crate::common::transfer;
use std::time::Duration;

#[test]
fn refused_documents_go_to_the_dead_letter_topic() {
    let tansu = Tansu::start();
    tansu.create_topic("orders", 1);
    tansu.create_topic("dead", 1);
    let store = StoreProcess::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = transfer::write_config(
        dir.path(),
        &tansu.brokers(),
        r#"["orders"]"#,
        &store.url(),
        r#"index = "orders-%{[service]}""#,
        "",
    );
    let text = std::fs::read_to_string(&config).expect("read config");
    let path_line = text
        .lines()
        .find(|l| l.starts_with("path = "))
        .expect("dead letter path line")
        .to_string();
    std::fs::write(&config, text.replace(&path_line, "topic = \"dead\"")).expect("write config");

    let mut messages = Vec::new();
    for i in 0..100 {
        messages.push((
            "k".to_string(),
            format!(r#"{{"service":"shop","message":"order {i}"}}"#).into_bytes(),
        ));
        if i % 20 == 0 {
            messages.push((
                "k".to_string(),
                format!(r#"{{"message":"no service {i}"}}"#).into_bytes(),
            ));
        }
    }
    transfer::produce(&tansu.brokers(), "orders", &messages);
    let _transfer = transfer::start(&config, &dir.path().join("transfer.log"));
    store.wait_count("orders-shop", 100, Duration::from_secs(90));

    let mut dead = TopicReader::new(&tansu.brokers(), "dead");
    dead.read_at_least(5, Duration::from_secs(60));
    let letters = dead.drain(Duration::from_millis(500)).to_vec();
    assert_eq!(letters.len(), 5, "one letter per refused document");
    for letter in &letters {
        let letter = letter.json();
        assert!(
            letter["reason"]
                .as_str()
                .is_some_and(|r| r.contains("service")),
            "{letter}"
        );
        assert_eq!(letter["origin"]["source"], "orders");
        assert!(
            letter["document"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("no service")),
            "{letter}"
        );
    }
}
