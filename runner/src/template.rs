//! template.yaml as the runner needs it: functions with their binary, timeout and
//! environment (Globals merged with the function's own), HttpApi routes, SQS event
//! sources, ScheduleV2 schedules, and the queues with their redrive policies. Intrinsic
//! functions are resolved against local values (`Locals`); anything that only exists in
//! AWS is dropped unless a local override supplies it.

use std::collections::BTreeMap;
use std::path::Path;

use serde_yaml::Value;

#[derive(Debug, Clone)]
pub struct Template {
    pub functions: Vec<Function>,
    pub queues: Vec<Queue>,
}

#[derive(Debug, Clone)]
pub struct Function {
    pub logical_id: String,
    pub binary: String,
    pub timeout_secs: u64,
    pub memory_mb: u64,
    /// Unresolved environment: Globals first, then the function's own.
    pub environment: BTreeMap<String, Value>,
    pub routes: Vec<Route>,
    pub queues: Vec<QueueSource>,
    pub schedules: Vec<Schedule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: String,
    pub path: String,
}

#[derive(Debug, Clone)]
pub struct QueueSource {
    pub queue: String,
    pub batch_size: usize,
    pub batching_window_secs: u64,
    pub report_batch_item_failures: bool,
}

#[derive(Debug, Clone)]
pub struct Schedule {
    pub expression: String,
    pub timezone: Option<String>,
    pub input: serde_json::Value,
}

#[derive(Debug, Clone)]
pub struct Queue {
    pub logical_id: String,
    pub visibility_timeout_secs: u64,
    /// (dead-letter queue's logical id, maxReceiveCount)
    pub redrive: Option<(String, u64)>,
}

/// Values the runner substitutes for the template's references.
#[derive(Debug, Default, Clone)]
pub struct Locals {
    /// Queue logical id → (url, arn, name).
    pub queues: BTreeMap<String, (String, String, String)>,
    pub parameters: BTreeMap<String, String>,
}

pub fn load(path: &Path) -> crate::Result<Template> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| crate::Error::Template(format!("{}: {e}", path.display())))?;
    parse(&text)
}

pub fn parse(text: &str) -> crate::Result<Template> {
    let doc: Value = serde_yaml::from_str(text)
        .map_err(|e| crate::Error::Template(format!("template.yaml: {e}")))?;
    let globals = &doc["Globals"]["Function"];
    let resources = doc["Resources"]
        .as_mapping()
        .ok_or(crate::Error::Template("no Resources".into()))?;
    let mut functions = Vec::new();
    let mut queues = Vec::new();
    for (id, resource) in resources {
        let id = id.as_str().unwrap_or_default().to_owned();
        let props = &resource["Properties"];
        match resource["Type"].as_str() {
            Some("AWS::Serverless::Function") => functions.push(function(&id, resource, globals)?),
            Some("AWS::SQS::Queue") => queues.push(Queue {
                logical_id: id.clone(),
                visibility_timeout_secs: props["VisibilityTimeout"].as_u64().unwrap_or(30),
                redrive: match props.get("RedrivePolicy") {
                    Some(policy) => Some((
                        getatt_target(&policy["deadLetterTargetArn"])
                            .ok_or(crate::Error::Template(format!("{id}: redrive target")))?,
                        policy["maxReceiveCount"].as_u64().unwrap_or(5),
                    )),
                    None => None,
                },
            }),
            _ => {}
        }
    }
    Ok(Template { functions, queues })
}

fn function(id: &str, resource: &Value, globals: &Value) -> crate::Result<Function> {
    let props = &resource["Properties"];
    let binary = resource["Metadata"]["BuildProperties"]["Binary"]
        .as_str()
        .ok_or(crate::Error::Template(format!(
            "{id}: Metadata.BuildProperties.Binary is missing"
        )))?
        .to_owned();
    let number = |key: &str, default: u64| {
        props[key]
            .as_u64()
            .or(globals[key].as_u64())
            .unwrap_or(default)
    };
    let mut environment = BTreeMap::new();
    for source in [
        &globals["Environment"]["Variables"],
        &props["Environment"]["Variables"],
    ] {
        if let Some(vars) = source.as_mapping() {
            for (k, v) in vars {
                environment.insert(k.as_str().unwrap_or_default().to_owned(), v.clone());
            }
        }
    }
    let mut f = Function {
        logical_id: id.to_owned(),
        binary,
        timeout_secs: number("Timeout", 3),
        memory_mb: number("MemorySize", 128),
        environment,
        routes: Vec::new(),
        queues: Vec::new(),
        schedules: Vec::new(),
    };
    if let Some(events) = props["Events"].as_mapping() {
        for (name, event) in events {
            let p = &event["Properties"];
            match event["Type"].as_str() {
                Some("HttpApi") => f.routes.push(Route {
                    method: p["Method"].as_str().unwrap_or("ANY").to_uppercase(),
                    path: p["Path"].as_str().unwrap_or("$default").to_owned(),
                }),
                Some("SQS") => f.queues.push(QueueSource {
                    queue: getatt_target(&p["Queue"]).ok_or(crate::Error::Template(format!(
                        "{id}.{name:?}: Queue must be !GetAtt X.Arn"
                    )))?,
                    batch_size: p["BatchSize"].as_u64().unwrap_or(10) as usize,
                    batching_window_secs: p["MaximumBatchingWindowInSeconds"].as_u64().unwrap_or(0),
                    report_batch_item_failures: p["FunctionResponseTypes"]
                        .as_sequence()
                        .is_some_and(|s| s.iter().any(|t| t == "ReportBatchItemFailures")),
                }),
                Some("ScheduleV2") | Some("Schedule") => f.schedules.push(Schedule {
                    expression: p["ScheduleExpression"]
                        .as_str()
                        .or(p["Schedule"].as_str())
                        .unwrap_or_default()
                        .to_owned(),
                    timezone: p["ScheduleExpressionTimezone"].as_str().map(str::to_owned),
                    input: match p["Input"].as_str() {
                        Some(s) => serde_json::from_str(s).map_err(|e| {
                            crate::Error::Template(format!("{id}: schedule Input: {e}"))
                        })?,
                        None => serde_json::json!({}),
                    },
                }),
                _ => {}
            }
        }
    }
    Ok(f)
}

/// `!GetAtt Queue.Arn` (or the long form) → "Queue".
fn getatt_target(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "GetAtt" => tagged
            .value
            .as_str()
            .and_then(|s| s.split('.').next())
            .map(str::to_owned),
        Value::Mapping(m) => m
            .get("Fn::GetAtt")
            .and_then(|v| v.as_sequence())
            .and_then(|s| s.first())
            .and_then(|v| v.as_str())
            .map(str::to_owned),
        _ => None,
    }
}

/// Resolves a value to a string locally, or `None` if it only has meaning in AWS.
pub fn resolve(value: &Value, locals: &Locals) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(tagged) => match tagged.tag.to_string().trim_start_matches('!') {
            "Ref" => {
                let name = tagged.value.as_str()?;
                locals
                    .queues
                    .get(name)
                    .map(|q| q.0.clone())
                    .or_else(|| locals.parameters.get(name).cloned())
            }
            "GetAtt" => {
                let (resource, attribute) = tagged.value.as_str()?.split_once('.')?;
                let q = locals.queues.get(resource)?;
                match attribute {
                    "Arn" => Some(q.1.clone()),
                    "QueueName" => Some(q.2.clone()),
                    "QueueUrl" => Some(q.0.clone()),
                    _ => None,
                }
            }
            "Sub" => {
                let mut text = tagged.value.as_str()?.to_owned();
                while let Some(start) = text.find("${") {
                    let end = start + text[start..].find('}')?;
                    let name = &text[start + 2..end];
                    let replacement = match name.split_once('.') {
                        Some((r, a)) => resolve(&getatt(r, a), locals)?,
                        None => resolve(&reference(name), locals)?,
                    };
                    text.replace_range(start..=end, &replacement);
                }
                Some(text)
            }
            _ => None,
        },
        _ => None,
    }
}

fn reference(name: &str) -> Value {
    Value::Tagged(Box::new(serde_yaml::value::TaggedValue {
        tag: serde_yaml::value::Tag::new("Ref"),
        value: Value::String(name.into()),
    }))
}

fn getatt(resource: &str, attribute: &str) -> Value {
    Value::Tagged(Box::new(serde_yaml::value::TaggedValue {
        tag: serde_yaml::value::Tag::new("GetAtt"),
        value: Value::String(format!("{resource}.{attribute}")),
    }))
}

impl Function {
    /// The environment the function runs with locally: what the template says, resolved,
    /// then the local overrides (which also replace values that only exist in AWS).
    pub fn local_environment(
        &self,
        locals: &Locals,
        overrides: &BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        let mut env: BTreeMap<String, String> = self
            .environment
            .iter()
            .filter_map(|(k, v)| resolve(v, locals).map(|v| (k.clone(), v)))
            .collect();
        for (k, v) in overrides {
            if v.is_empty() {
                env.remove(k);
            } else {
                env.insert(k.clone(), v.clone());
            }
        }
        env
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn real_template() -> Template {
        load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml")).unwrap()
    }

    #[test]
    fn the_real_template_parses_into_functions_routes_queues_and_schedules() {
        let t = real_template();
        let health = t
            .functions
            .iter()
            .find(|f| f.logical_id == "HealthFunction")
            .unwrap();
        assert_eq!(health.binary, "health-check");
        assert_eq!(
            health.routes,
            [Route {
                method: "GET".into(),
                path: "/v1/health".into()
            }]
        );
        assert_eq!(health.timeout_secs, 10, "from Globals");
        let validate = t
            .functions
            .iter()
            .find(|f| f.logical_id == "ValidateStepsFunction")
            .unwrap();
        assert_eq!(validate.timeout_secs, 30, "the function's own value wins");
        assert_eq!(validate.queues[0].queue, "StepValidationQueue");
        assert_eq!(validate.queues[0].batch_size, 500);
        assert!(validate.queues[0].report_batch_item_failures);
        let requeue = t
            .functions
            .iter()
            .find(|f| f.logical_id == "StepsRequeueFunction")
            .unwrap();
        assert_eq!(requeue.schedules[0].expression, "rate(10 minutes)");
        let queue = t
            .queues
            .iter()
            .find(|q| q.logical_id == "StepValidationQueue")
            .unwrap();
        assert_eq!(queue.redrive, Some(("StepValidationDLQ".into(), 5)));
        assert!(queue.visibility_timeout_secs >= 6 * validate.timeout_secs);
    }

    #[test]
    fn environments_merge_globals_and_resolve_queues_and_overrides() {
        let t = real_template();
        let sync = t
            .functions
            .iter()
            .find(|f| f.logical_id == "StepsSyncFunction")
            .unwrap();
        let locals = Locals {
            queues: BTreeMap::from([(
                "StepValidationQueue".into(),
                (
                    "http://q/validation".into(),
                    "arn:aws:sqs:us-east-1:0:v".into(),
                    "v".into(),
                ),
            )]),
            parameters: BTreeMap::new(),
        };
        let overrides = BTreeMap::from([
            ("DATABASE_URL".to_owned(), "postgres://local".to_owned()),
            ("JWT_SECRET_ARN".to_owned(), String::new()),
        ]);
        let env = sync.local_environment(&locals, &overrides);
        assert_eq!(env["STEP_VALIDATION_QUEUE_URL"], "http://q/validation");
        assert_eq!(
            env["DATABASE_URL"], "postgres://local",
            "an AWS-only !Sub is replaced by the override"
        );
        assert_eq!(
            env["JWT_ISSUER"], "fitkart",
            "plain Globals values pass through"
        );
        assert!(
            !env.contains_key("JWT_SECRET_ARN"),
            "an empty override removes the variable"
        );
        assert!(
            !env.contains_key("DB_PASSWORD_SECRET_ARN"),
            "unresolvable references are dropped"
        );
    }

    #[test]
    fn sub_resolves_references_and_attributes() {
        let value: Value = serde_yaml::from_str("!Sub 'queue ${Q} at ${Q.Arn}'").unwrap();
        let locals = Locals {
            queues: BTreeMap::from([("Q".into(), ("url".into(), "arn".into(), "name".into()))]),
            parameters: BTreeMap::new(),
        };
        assert_eq!(
            resolve(&value, &locals).as_deref(),
            Some("queue url at arn")
        );
        let unknown: Value = serde_yaml::from_str("!Sub '${DbProxy.Endpoint}'").unwrap();
        assert_eq!(resolve(&unknown, &locals), None);
    }
}
