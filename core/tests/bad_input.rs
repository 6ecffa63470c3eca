//! Invariant 6: bad input gets a typed error with a stable code; nothing is written;
//! nothing panics; the manager keeps working.

mod common;
use common::*;
use tenantry::TenantUpdate;

#[tokio::test]
async fn every_kind_of_bad_input_is_typed_and_writes_nothing() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let claims = tenant_with_login(&m, "Keeper", "keep@k.io").await;
    let baseline = (
        t.count("organizations").await,
        t.count("admin_users").await,
        t.tenant_collections().await,
    );

    let huge = "h".repeat(1 << 20);
    let cases: Vec<(&str, &str, &str, &str)> = vec![
        ("", "a@b.io", PASSWORD, "name"),
        ("{\"$gt\": \"\"}", "a@b.io", PASSWORD, "name"),
        ("ok name", "{\"$ne\": null}", PASSWORD, "email"),
        ("ok name", "a@b.io", "short", "password"),
        ("ok name", "a@b.io", "with\0nul-inside", "password"),
        (&huge, "a@b.io", PASSWORD, "name"),
        ("ok name", &huge, PASSWORD, "email"),
        ("ok name", "a@b.io", &huge, "password"),
        ("\u{202e}\u{200b}", "a@b.io", PASSWORD, "name"),
    ];
    for (name, email, password, field) in cases {
        let err = m.create_tenant(name, email, password).await.unwrap_err();
        assert_eq!(
            err.code(),
            "INVALID_INPUT",
            "{}",
            &name[..name.len().min(20)]
        );
        assert_eq!(err.field(), Some(field));
        assert!(!err.to_string().is_empty());
    }
    for upd in [
        TenantUpdate::new().new_name("$bad"),
        TenantUpdate::new().new_name(""),
        TenantUpdate::new().admin_email("nope"),
        TenantUpdate::new().admin_password("short"),
        TenantUpdate::new()
            .admin_email("ok@k.io")
            .new_name("system.x"),
    ] {
        let err = m.update_tenant(&claims, upd).await.unwrap_err();
        assert_eq!(err.code(), "INVALID_INPUT");
    }
    for token in ["", "x", "a.b.c", "Bearer abc", &"e".repeat(100_000)] {
        assert_eq!(
            m.verify_token(token).await.unwrap_err().code(),
            "UNAUTHORIZED"
        );
    }
    for (email, password) in [
        ("", ""),
        ("not-an-email", PASSWORD),
        ("keep@k.io", huge.as_str()),
    ] {
        assert_eq!(
            m.authenticate(email, password).await.unwrap_err().code(),
            "INVALID_CREDENTIALS"
        );
    }
    let now = (
        t.count("organizations").await,
        t.count("admin_users").await,
        t.tenant_collections().await,
    );
    assert_eq!(now, baseline);
    // Still serving.
    m.create_tenant("After", "after@k.io", PASSWORD)
        .await
        .unwrap();
    t.assert_consistent().await;
}

#[tokio::test]
async fn unusable_configuration_is_a_config_error() {
    use tenantry::Config;
    for build in [
        Config::builder("mongodb://localhost", "short").build(),
        Config::builder("mongodb://localhost", "long-enough-secret-123")
            .bcrypt_cost(3)
            .build(),
        Config::builder("mongodb://localhost", "long-enough-secret-123")
            .master_db("a/b")
            .build(),
        Config::builder("mongodb://localhost", "long-enough-secret-123")
            .master_db("")
            .build(),
    ] {
        assert_eq!(build.unwrap_err().code(), "CONFIG");
    }
    let config = Config::builder("not-a-uri", "long-enough-secret-123")
        .build()
        .unwrap();
    let err = tenantry::TenantManager::connect(config).await.unwrap_err();
    assert_eq!(err.code(), "CONFIG");
}

#[tokio::test]
async fn errors_and_config_never_show_secrets() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let token = {
        m.create_tenant("Quiet", "q@q.io", "hunter2-hunter2")
            .await
            .unwrap();
        m.authenticate("q@q.io", "hunter2-hunter2").await.unwrap()
    };
    let shown = format!("{token:?} {:?} {m:?}", m.config());
    assert!(!shown.contains(&token.access_token));
    assert!(!shown.contains(SECRET));
    assert!(!shown.contains("hunter2"));
    let update = TenantUpdate::new().admin_password("hunter2-hunter2");
    assert!(!format!("{update:?}").contains("hunter2"));
    let err = m
        .authenticate("q@q.io", "hunter3-hunter3")
        .await
        .unwrap_err();
    assert!(!format!("{err:?} {err}").contains("hunter"));
}
