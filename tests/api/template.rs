//! template.yaml, the OpenAPI spec and the function binaries describe one function set:
//! a binary without a resource, a route without a binary, or a spec route the template
//! does not serve fails here.

use std::collections::BTreeSet;
use std::path::Path;

use serde_yaml::Value;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn yaml(file: &str) -> Value {
    let text = std::fs::read_to_string(root().join(file)).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

fn functions(template: &Value) -> Vec<(String, &Value)> {
    template["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .map(|(id, r)| (id.as_str().unwrap().to_owned(), r))
        .collect()
}

fn binaries_on_disk() -> BTreeSet<String> {
    std::fs::read_dir(root().join("functions/src/bin"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| p.file_stem().unwrap().to_str().unwrap().to_owned())
        .collect()
}

fn template_routes(template: &Value) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for (_, function) in functions(template) {
        if let Some(events) = function["Properties"]["Events"].as_mapping() {
            for (_, event) in events {
                if event["Type"] == "HttpApi" {
                    // Neither method nor path: SAM's `$default` route.
                    let method = event["Properties"]["Method"]
                        .as_str()
                        .unwrap_or("ANY")
                        .to_uppercase();
                    let path = event["Properties"]["Path"].as_str().unwrap_or("$default");
                    routes.insert((method, path.to_owned()));
                }
            }
        }
    }
    routes
}

#[test]
fn every_binary_has_exactly_one_function_resource_and_back() {
    let template = yaml("template.yaml");
    let mut in_template = BTreeSet::new();
    for (id, function) in functions(&template) {
        assert_eq!(
            function["Metadata"]["BuildMethod"], "rust-cargolambda",
            "{id}"
        );
        let binary = function["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("{id} names no binary"));
        assert!(
            in_template.insert(binary.to_owned()),
            "binary {binary} is deployed twice"
        );
    }
    assert_eq!(in_template, binaries_on_disk());
}

/// A binary's name leads to its handler: `<module>-<handler>` of the entrypoint it runs
/// (`orders-create` runs `fitkart_functions::orders::create`, `steps-validate` runs
/// `fitkart_functions::steps::validate`).
#[test]
fn every_binary_is_named_after_the_handler_it_runs() {
    let mut misnamed = Vec::new();
    for binary in binaries_on_disk() {
        let source =
            std::fs::read_to_string(root().join(format!("functions/src/bin/{binary}.rs"))).unwrap();
        let at = source
            .find("fitkart_functions::")
            .unwrap_or_else(|| panic!("{binary} runs no fitkart_functions handler"));
        let path: String = source[at + "fitkart_functions::".len()..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let expected = path.replace("::", "-").replace('_', "-");
        if expected != binary {
            misnamed.push(format!("{binary} runs {path}: name it {expected}"));
        }
    }
    assert!(misnamed.is_empty(), "{misnamed:#?}");
}

#[test]
fn every_route_has_one_function_and_the_openapi_spec_lists_the_same_routes() {
    let template = yaml("template.yaml");
    let mut routes = template_routes(&template);
    // Besides the documented routes, one `$default` for what none of them matches.
    assert!(routes.remove(&("ANY".into(), "$default".into())));
    assert!(routes.contains(&("GET".into(), "/v1/health".into())));
    let spec = yaml("openapi.yaml");
    let mut in_spec = BTreeSet::new();
    for (path, item) in spec["paths"].as_mapping().unwrap() {
        for (method, _) in item.as_mapping().unwrap() {
            in_spec.insert((
                method.as_str().unwrap().to_uppercase(),
                path.as_str().unwrap().to_owned(),
            ));
        }
    }
    assert_eq!(routes, in_spec, "template routes vs openapi.yaml routes");
}

#[test]
fn functions_run_on_arm64_al2023_with_json_logs_inside_the_vpc() {
    let template = yaml("template.yaml");
    let globals = &template["Globals"]["Function"];
    assert_eq!(globals["Runtime"], "provided.al2023");
    assert_eq!(globals["Architectures"][0], "arm64");
    assert_eq!(globals["LoggingConfig"]["LogFormat"], "JSON");
    assert!(!globals["VpcConfig"]["SubnetIds"].is_null());
    let proxy = &template["Resources"]["DbProxy"];
    assert_eq!(proxy["Type"], "AWS::RDS::DBProxy");
    assert_eq!(proxy["Properties"]["RequireTLS"], true);
    assert_eq!(proxy["Properties"]["EngineFamily"], "POSTGRESQL");
    // Secrets are referenced by ARN, never inlined.
    let vars = &globals["Environment"]["Variables"];
    assert!(vars.get("JWT_SECRET").is_none() && vars.get("JWT_SECRET_ARN").is_some());
    let text = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    assert!(
        !text.contains("{{resolve:"),
        "no secret values resolved into the template"
    );
}

#[test]
fn only_the_functions_that_send_mail_may_call_ses() {
    let template = yaml("template.yaml");
    let senders: BTreeSet<String> = functions(&template)
        .into_iter()
        .filter(|(_, f)| {
            f["Properties"]["Policies"].as_sequence().is_some_and(|p| {
                p.iter()
                    .any(|p| format!("{p:?}").contains("MailSendPolicy"))
            })
        })
        .map(|(id, _)| id)
        .collect();
    let expected: BTreeSet<String> = [
        "AuthRegisterFunction",
        "AuthEmailResendFunction",
        "AuthEmailVerifyFunction",
        "AuthPasswordForgotFunction",
        // The "your password was changed" notice.
        "AuthPasswordResetFunction",
        "MePasswordFunction",
        "MeEmailFunction",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(senders, expected);
    let policy = &template["Resources"]["MailSendPolicy"]["Properties"]["PolicyDocument"];
    let statement = &policy["Statement"][0];
    assert_eq!(statement["Action"], "ses:SendEmail");
    assert!(
        !format!("{:?}", statement["Resource"]).contains("\"*\""),
        "scoped to the identity, never every resource"
    );
}

/// Generated clients only handle the statuses a spec lists: every route with a body can
/// answer 400 (not JSON), 413 (too large) and 422 (wrong shape); every authenticated one
/// 401; every admin one 403; every rate-limited one 429.
#[test]
fn the_spec_lists_every_status_a_route_can_return() {
    let spec = yaml("openapi.yaml");
    let rate_limited = [
        ("post", "/v1/auth/register"),
        ("post", "/v1/auth/login"),
        ("post", "/v1/auth/email/resend"),
        ("post", "/v1/auth/password/forgot"),
        ("post", "/v1/me/password"),
        ("post", "/v1/me/email"),
        ("post", "/v1/steps/sync"),
    ];
    let mut missing = Vec::new();
    for (path, item) in spec["paths"].as_mapping().unwrap() {
        let path = path.as_str().unwrap();
        for (method, op) in item.as_mapping().unwrap() {
            let method = method.as_str().unwrap();
            let listed: BTreeSet<String> = op["responses"]
                .as_mapping()
                .unwrap()
                .keys()
                .map(|k| {
                    k.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| format!("{k:?}"))
                })
                .collect();
            let mut expected = Vec::new();
            if !op["requestBody"].is_null() {
                expected.extend(["400", "413", "422"]);
            }
            let public = op["security"].as_sequence().is_some_and(|s| s.is_empty());
            if !public {
                expected.push("401");
            }
            if path.starts_with("/v1/admin") {
                expected.push("403");
            }
            if rate_limited.contains(&(method, path)) {
                expected.push("429");
            }
            for status in expected {
                if !listed.contains(status) {
                    missing.push(format!("{} {path} {status}", method.to_uppercase()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "unlisted statuses: {missing:#?}");
}

/// The text of a value, tags and all (`!Ref X` reads as a tagged value).
fn text(value: &Value) -> String {
    format!("{value:?}")
}

fn resources_of<'a>(template: &'a Value, kind: &str) -> Vec<(String, &'a Value)> {
    template["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .map(|(id, r)| (id.as_str().unwrap().to_owned(), r))
        .collect()
}

#[test]
fn every_function_logs_to_a_group_with_retention_and_is_traced() {
    let template = yaml("template.yaml");
    let globals = &template["Globals"]["Function"];
    assert_eq!(globals["Tracing"], "Active");
    assert!(text(&globals["LoggingConfig"]["LogGroup"]).contains("FunctionLogs"));
    let group = &template["Resources"]["FunctionLogs"];
    assert!(text(&group["Properties"]["RetentionInDays"]).contains("LogRetentionDays"));
    for (id, function) in functions(&template) {
        assert!(
            function["Properties"]["LoggingConfig"].is_null(),
            "{id} must not log elsewhere"
        );
    }
}

#[test]
fn every_queue_has_an_alarm_and_every_alarm_reaches_a_person() {
    let template = yaml("template.yaml");
    let alarms = resources_of(&template, "AWS::CloudWatch::Alarm");
    assert!(alarms.len() >= 15, "{} alarms", alarms.len());
    for (id, alarm) in &alarms {
        let actions = text(&alarm["Properties"]["AlarmActions"]);
        assert!(actions.contains("AlarmTopic"), "{id} pages nobody");
    }
    for (queue, _) in resources_of(&template, "AWS::SQS::Queue") {
        assert!(
            alarms
                .iter()
                .any(|(_, a)| text(&a["Properties"]).contains(&format!("{queue}.QueueName"))),
            "no alarm watches {queue}"
        );
    }
    let drift = &template["Resources"]["LedgerDriftAlarm"]["Properties"];
    assert_eq!(
        drift["TreatMissingData"], "breaching",
        "a reconcile that never runs is not healthy"
    );
}

#[test]
fn every_job_has_an_on_failure_destination_and_a_dead_letter_queue() {
    let template = yaml("template.yaml");
    for (id, function) in functions(&template) {
        let Some(events) = function["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (_, event) in events.iter().filter(|(_, e)| e["Type"] == "ScheduleV2") {
            let destination = &function["Properties"]["EventInvokeConfig"]["DestinationConfig"]
                ["OnFailure"]["Destination"];
            assert!(text(destination).contains("JobFailuresQueue"), "{id}");
            assert!(
                text(&event["Properties"]["DeadLetterConfig"]).contains("ScheduleDeadLetterQueue"),
                "{id}"
            );
        }
    }
}

#[test]
fn no_function_can_read_a_secret_it_does_not_use() {
    let template = yaml("template.yaml");
    // Functions that neither verify nor sign access tokens.
    let no_tokens = [
        "HealthFunction",
        "AuthLogoutFunction",
        "AuthEmailVerifyFunction",
        "AuthPasswordForgotFunction",
        "AuthPasswordResetFunction",
        "AuthSecureAccountFunction",
        // Shopify signs its webhooks; there is no access token to verify.
        "ShopifyWebhookFunction",
        "RouteUnmatchedFunction",
    ];
    // The `$default` route answers from the spec built into it.
    let no_database = ["RouteUnmatchedFunction"];
    for (id, function) in functions(&template) {
        let policies = text(&function["Properties"]["Policies"]);
        let http = text(&function["Properties"]["Events"]).contains("HttpApi");
        let needs_jwt = http && !no_tokens.contains(&id.as_str());
        assert_eq!(policies.contains("JwtKeyPolicy"), needs_jwt, "{id}");
        assert_eq!(
            policies.contains("DbConnectPolicy"),
            !no_database.contains(&id.as_str()),
            "{id}"
        );
        assert!(
            !policies.contains("DbSecretArn"),
            "{id} can read the database password"
        );
        if policies.contains("ShopifyTokenSecretArn") {
            assert!(
                ["ShopifySyncFunction", "ShopifyOrdersFunction"].contains(&id.as_str()),
                "{id} can read the Shopify access token"
            );
        }
        if policies.contains("ShopifyWebhookSecretArn") {
            assert_eq!(
                id, "ShopifyWebhookFunction",
                "{id} can read the webhook secret"
            );
        }
    }
    // Only the proxy reads the database credentials; functions use IAM tokens.
    let proxy = &template["Resources"]["DbProxy"]["Properties"];
    assert_eq!(proxy["Auth"][0]["IAMAuth"], "REQUIRED");
    let env = &template["Globals"]["Function"]["Environment"]["Variables"];
    assert_eq!(env["DB_IAM_AUTH"], "true");
    assert!(env.get("DB_PASSWORD_SECRET_ARN").is_none());
}

#[test]
fn deploys_migrate_first_and_money_paths_go_out_as_canaries() {
    let template = yaml("template.yaml");
    for (id, function) in functions(&template) {
        if id == "DbMigrateFunction" {
            continue;
        }
        assert_eq!(
            function["DependsOn"], "Migrations",
            "{id} could serve before its schema"
        );
    }
    let migrations = &template["Resources"]["Migrations"]["Properties"];
    assert!(text(&migrations["ServiceToken"]).contains("DbMigrateFunction"));
    for id in [
        "StepsSyncFunction",
        "ValidateStepsFunction",
        "CreditCoinsFunction",
        "OrdersCreateFunction",
    ] {
        let properties = &template["Resources"][id]["Properties"];
        assert_eq!(properties["AutoPublishAlias"], "live", "{id}");
        let preference = &properties["DeploymentPreference"];
        assert!(
            preference["Type"].as_str().unwrap().starts_with("Canary"),
            "{id}"
        );
        assert!(text(&preference["Alarms"]).contains("ErrorsAlarm"), "{id}");
    }
}

/// A function gives up on the database before Lambda gives up on it: every function's
/// timeout leaves room for the pool's acquire timeout and the handler's answer margin
/// (`fitkart::lambda::ANSWER_MARGIN`), and the proxy's borrow timeout, which PgBouncer
/// reads from here locally (scripts/services.sh), is shorter than every timeout too.
#[test]
fn every_function_gives_up_on_the_database_before_its_timeout() {
    let template = yaml("template.yaml");
    let globals = &template["Globals"]["Function"];
    let acquire_ms: u64 = globals["Environment"]["Variables"]["DB_ACQUIRE_TIMEOUT_MS"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let borrow_s = template["Resources"]["DbProxyTargetGroup"]["Properties"]
        ["ConnectionPoolConfigurationInfo"]["ConnectionBorrowTimeout"]
        .as_u64()
        .unwrap();
    let margin_ms = fitkart::lambda::ANSWER_MARGIN.as_millis() as u64;
    for (name, function) in functions(&template) {
        let timeout_s = function["Properties"]["Timeout"]
            .as_u64()
            .or_else(|| globals["Timeout"].as_u64())
            .unwrap();
        assert!(
            timeout_s * 1000 > acquire_ms + margin_ms && timeout_s > borrow_s,
            "{name}: a {timeout_s} s timeout leaves no room to give up on the database"
        );
    }
    let services = std::fs::read_to_string(root().join("scripts/services.sh")).unwrap();
    assert!(services.contains("query_wait_timeout = $(proxy_borrow_timeout)"));
}
