//! `template.yaml` agrees with the code: API Gateway gets exactly the routes the code serves,
//! each function builds its own binary, and the table is the one the code defines.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use serde_norway::Value;
use shared::routes::{Function, ROUTES};
use shared::store::dynamo::table::TABLE;

fn template() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    let text = std::fs::read_to_string(path).expect("template.yaml");
    serde_norway::from_str(&text).expect("template.yaml is YAML")
}

fn resource<'a>(template: &'a Value, id: &str) -> &'a Value {
    let found = &template["Resources"][id];
    assert!(!found.is_null(), "template.yaml has no resource {id}");
    found
}

fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, got {value:?}"))
}

#[test]
fn api_routes_are_exactly_the_routes_the_code_serves() {
    let template = template();
    let mut in_template = BTreeSet::new();
    for function in Function::ALL {
        let events = resource(&template, function.logical_id())["Properties"]["Events"]
            .as_mapping()
            .unwrap_or_else(|| panic!("{} has no events", function.logical_id()));
        for (_, event) in events {
            if event["Type"] == "HttpApi" {
                let properties = &event["Properties"];
                assert_eq!(
                    properties["ApiId"]["Ref"],
                    Value::Null,
                    "ApiId is a !Ref tag, not a map"
                );
                in_template.insert((
                    text(&properties["Method"]).to_owned(),
                    text(&properties["Path"]).to_owned(),
                    function,
                ));
            }
        }
    }
    let in_code: BTreeSet<(String, String, Function)> = ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned(), r.function))
        .collect();
    assert_eq!(in_template, in_code);
}

#[test]
fn each_function_builds_its_own_binary_for_arm64() {
    let template = template();
    let globals = &template["Globals"]["Function"];
    assert_eq!(globals["Runtime"], "provided.al2023");
    assert_eq!(globals["Handler"], "bootstrap");
    assert_eq!(globals["Architectures"][0], "arm64");
    for function in Function::ALL {
        let metadata = &resource(&template, function.logical_id())["Metadata"];
        assert_eq!(metadata["BuildMethod"], "rust-cargolambda", "{function:?}");
        assert_eq!(
            text(&metadata["BuildProperties"]["Binary"]),
            function.binary(),
            "{function:?}"
        );
        let manifest = format!(
            "{}/../functions/{}/Cargo.toml",
            env!("CARGO_MANIFEST_DIR"),
            function.binary()
        );
        assert!(
            std::path::Path::new(&manifest).exists(),
            "no crate for {}",
            function.binary()
        );
    }
}

#[test]
fn the_sync_runs_hourly_with_retries_and_a_dead_letter_queue() {
    let template = template();
    let hourly = &resource(&template, "SyncFunction")["Properties"]["Events"]["Hourly"];
    assert_eq!(hourly["Type"], "Schedule");
    let properties = &hourly["Properties"];
    assert_eq!(properties["Schedule"], "rate(1 hour)");
    assert!(
        properties["RetryPolicy"]["MaximumRetryAttempts"]
            .as_u64()
            .unwrap()
            >= 1
    );
    assert_eq!(properties["DeadLetterConfig"]["Type"], "SQS");
}

#[test]
fn metrics_can_only_read() {
    let template = template();
    let policies = resource(&template, "MetricsFunction")["Properties"]["Policies"]
        .as_sequence()
        .unwrap();
    for statement in policies
        .iter()
        .flat_map(|p| p["Statement"].as_sequence().unwrap())
    {
        for action in statement["Action"].as_sequence().unwrap() {
            let action = text(action);
            assert!(
                [
                    "dynamodb:GetItem",
                    "dynamodb:Query",
                    "dynamodb:BatchGetItem"
                ]
                .contains(&action),
                "{action}"
            );
        }
    }
}

#[test]
fn the_table_is_the_one_the_code_defines() {
    let template = template();
    let table = resource(&template, "BookingsTable");
    assert_eq!(table["Type"], "AWS::DynamoDB::Table");
    assert_eq!(table["DeletionPolicy"], "Retain");
    let p = &table["Properties"];
    assert_eq!(text(&p["BillingMode"]), TABLE.billing_mode);

    let attributes: BTreeSet<(String, String)> = p["AttributeDefinitions"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| {
            (
                text(&a["AttributeName"]).to_owned(),
                text(&a["AttributeType"]).to_owned(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = TABLE
        .key_attributes()
        .into_iter()
        .map(|a| (a.to_owned(), "S".to_owned()))
        .collect();
    assert_eq!(attributes, expected);

    let keys = |schema: &Value| -> Vec<(String, String)> {
        schema
            .as_sequence()
            .unwrap()
            .iter()
            .map(|k| {
                (
                    text(&k["AttributeName"]).to_owned(),
                    text(&k["KeyType"]).to_owned(),
                )
            })
            .collect()
    };
    let pair = |hash: &str, range: &str| {
        vec![
            (hash.to_owned(), "HASH".to_owned()),
            (range.to_owned(), "RANGE".to_owned()),
        ]
    };
    assert_eq!(
        keys(&p["KeySchema"]),
        pair(TABLE.partition_key, TABLE.sort_key)
    );

    let indexes = p["GlobalSecondaryIndexes"].as_sequence().unwrap();
    assert_eq!(indexes.len(), TABLE.indexes.len());
    for (index, spec) in indexes.iter().zip(TABLE.indexes) {
        assert_eq!(text(&index["IndexName"]), spec.name);
        assert_eq!(
            keys(&index["KeySchema"]),
            pair(spec.partition_key, spec.sort_key)
        );
        assert_eq!(index["Projection"]["ProjectionType"], "ALL");
    }
    assert_eq!(
        text(&p["TimeToLiveSpecification"]["AttributeName"]),
        TABLE.ttl_attribute
    );
    assert_eq!(p["TimeToLiveSpecification"]["Enabled"], true);
    assert_eq!(
        p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    assert_eq!(p["SSESpecification"]["SSEEnabled"], true);
}

/// The statements of a function's inline policies.
fn statements<'a>(template: &'a Value, function: &str) -> Vec<&'a Value> {
    resource(template, function)["Properties"]["Policies"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|p| p["Statement"].as_sequence().unwrap())
        .collect()
}

/// The logical id a `!GetAtt X.Arn` or `!Ref X` tag names (serde_norway keeps tags).
fn names(value: &Value) -> String {
    format!("{value:?}")
}

#[test]
fn the_schedule_fans_out_on_a_queue_with_a_dead_letter_queue_and_an_alarm() {
    let template = template();
    let function = resource(&template, "SyncFunction");
    let timeout = function["Properties"]["Timeout"].as_u64().unwrap();
    assert!(
        names(&function["Properties"]["Environment"]["Variables"]["SYNC_QUEUE_URL"])
            .contains("SyncQueue"),
        "the function is told the queue"
    );

    let queue = &resource(&template, "SyncQueue")["Properties"];
    let visibility = queue["VisibilityTimeout"].as_u64().unwrap();
    assert!(
        visibility > timeout,
        "a record stays hidden while a run of it may go on ({visibility} s vs {timeout} s)"
    );
    assert_eq!(queue["RedrivePolicy"]["maxReceiveCount"], 5);
    assert!(names(&queue["RedrivePolicy"]["deadLetterTargetArn"]).contains("SyncDeadLetterQueue"));
    let alarm = &resource(&template, "SyncDeadLetterAlarm")["Properties"];
    assert_eq!(alarm["Namespace"], "AWS/SQS");
    assert!(names(&alarm["Dimensions"]).contains("SyncDeadLetterQueue"));
    assert!(names(&alarm["AlarmActions"]).contains("AlarmTopic"));

    let mapping = resource(&template, "SyncQueueMapping");
    assert_eq!(mapping["Type"], "AWS::Lambda::EventSourceMapping");
    let mapping = &mapping["Properties"];
    assert!(names(&mapping["EventSourceArn"]).contains("SyncQueue"));
    assert!(names(&mapping["FunctionName"]).contains("SyncFunction"));
    assert_eq!(
        mapping["FunctionResponseTypes"][0],
        "ReportBatchItemFailures"
    );
    assert!(names(&mapping["ScalingConfig"]["MaximumConcurrency"]).contains("SyncConcurrency"));
    let parameter = &template["Parameters"]["SyncConcurrency"];
    assert_eq!(parameter["Default"], 10);
    assert!(
        parameter["MinValue"].as_u64().unwrap() >= 2,
        "Lambda's minimum"
    );
}

#[test]
fn the_sync_function_reaches_only_its_own_queue_and_table() {
    let template = template();
    let mut sqs_actions = BTreeSet::new();
    for statement in statements(&template, "SyncFunction") {
        let resources = names(&statement["Resource"]);
        assert!(
            !resources.contains("\"*\""),
            "no wildcard resource: {resources}"
        );
        for action in statement["Action"].as_sequence().unwrap() {
            let action = text(action);
            assert!(!action.contains('*'), "{action}");
            if action.starts_with("sqs:") {
                assert!(resources.contains("SyncQueue"), "{action} on {resources}");
                sqs_actions.insert(action.to_owned());
            } else {
                assert!(action.starts_with("dynamodb:"), "{action}");
                assert!(
                    resources.contains("BookingsTable"),
                    "{action} on {resources}"
                );
            }
        }
    }
    let expected: BTreeSet<String> = [
        "sqs:SendMessage",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(sqs_actions, expected);
    let events = resource(&template, "SyncFunction")["Properties"]["Events"]
        .as_mapping()
        .unwrap();
    assert!(
        events.values().all(|e| e["Type"] != "SQS"),
        "no SAM SQS event: it would attach a policy for every queue"
    );
}

#[test]
fn tenant_secrets_are_wrapped_by_a_rotating_key_only_the_functions_and_operator_use() {
    let template = template();
    let key = resource(&template, "SecretsKey");
    assert_eq!(key["Type"], "AWS::KMS::Key");
    assert_eq!(
        key["DeletionPolicy"], "Retain",
        "losing the key loses every secret"
    );
    let properties = &key["Properties"];
    assert_eq!(properties["EnableKeyRotation"], true);
    let statements = properties["KeyPolicy"]["Statement"].as_sequence().unwrap();
    let mut decrypters = BTreeSet::new();
    for statement in statements {
        let actions: Vec<&str> = match &statement["Action"] {
            Value::Sequence(actions) => actions.iter().map(text).collect(),
            one => vec![text(one)],
        };
        assert!(
            !actions.contains(&"kms:*"),
            "no statement allows everything"
        );
        let uses = actions
            .iter()
            .any(|a| ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"].contains(a));
        if uses {
            assert_eq!(
                statement["Condition"]["StringEquals"]["kms:EncryptionContext:app"],
                "booking-tracker",
                "use is bound to the app's encryption context"
            );
            decrypters.insert(names(&statement["Principal"]));
        } else {
            assert!(
                actions
                    .iter()
                    .all(|a| !a.contains("crypt") && !a.contains("GenerateDataKey")),
                "{actions:?}"
            );
        }
    }
    let users = decrypters.into_iter().collect::<Vec<_>>().join(" ");
    for role in [
        "CalcomWebhookFunctionRole",
        "CalendlyWebhookFunctionRole",
        "SyncFunctionRole",
        "OperatorPrincipalArn",
    ] {
        assert!(users.contains(role), "{role} may open secrets: {users}");
    }
    assert!(
        !users.contains("MetricsFunction"),
        "metrics never opens a secret"
    );

    for function in [
        "CalcomWebhookFunction",
        "CalendlyWebhookFunction",
        "SyncFunction",
    ] {
        let variables = &resource(&template, function)["Properties"]["Environment"]["Variables"];
        assert!(
            names(&variables["KMS_KEY_ID"]).contains("SecretsKey"),
            "{function}"
        );
    }
    let metrics = &resource(&template, "MetricsFunction")["Properties"];
    assert!(metrics["Environment"]["Variables"]["KMS_KEY_ID"].is_null());
}
