//! A compiled filter list and how it runs: each step's condition, its filter, and Logstash's common options
//! (`add_field`, `remove_field`, `add_tag`, `remove_tag` on success, in that order; `tag_on_failure` on
//! failure).

use crate::condition::Condition;
use crate::error::{field, FilterError, Invalid};
use crate::event::Event;
use crate::field_ref::FieldRef;
use crate::filters::{date, dissect, grok, json, mutate, Outcome};
use crate::spec::{CommonSpec, FilterSpec};
use crate::sprintf::Template;
use serde_json::Value;

/// What to do with an event after the chain ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Keep,
    Drop,
}

/// A compiled list of filters, shared by every thread that filters events.
#[derive(Debug, Clone, Default)]
pub struct FilterChain {
    steps: Vec<Step>,
}

#[derive(Debug, Clone)]
struct Step {
    condition: Option<Condition>,
    action: Action,
    common: Common,
}

// Built once and read for every event: the variants stay inline rather than behind a pointer.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
enum Action {
    Json(json::JsonFilter),
    Date(date::DateFilter),
    Dissect(dissect::DissectFilter),
    Grok(grok::GrokFilter),
    Mutate(mutate::MutateFilter),
    Drop,
}

/// Compiles a filter list; the error names the filter's position, its kind and the key at fault.
pub fn compile(specs: &[FilterSpec]) -> Result<FilterChain, FilterError> {
    let steps = specs
        .iter()
        .enumerate()
        .map(|(index, spec)| {
            compile_step(spec).map_err(|invalid| FilterError {
                index,
                kind: spec.kind(),
                key: invalid.key,
                reason: invalid.reason,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(FilterChain { steps })
}

fn compile_step(spec: &FilterSpec) -> Result<Step, Invalid> {
    let (action, default_failure_tag) = match spec {
        FilterSpec::Json(s) => (
            Action::Json(json::JsonFilter::compile(s)?),
            Some(json::FAILURE_TAG),
        ),
        FilterSpec::Date(s) => (
            Action::Date(date::DateFilter::compile(s)?),
            Some(date::FAILURE_TAG),
        ),
        FilterSpec::Dissect(s) => (
            Action::Dissect(dissect::DissectFilter::compile(s)?),
            Some(dissect::FAILURE_TAG),
        ),
        FilterSpec::Grok(s) => (
            Action::Grok(grok::GrokFilter::compile(s)?),
            Some(grok::FAILURE_TAG),
        ),
        FilterSpec::Mutate(s) => (Action::Mutate(mutate::MutateFilter::compile(s)?), None),
        FilterSpec::Drop(_) => (Action::Drop, None),
    };
    let common = spec.common();
    let condition = common
        .condition
        .map(|text| Condition::parse(text).map_err(|e| Invalid::new("if", e.to_string())))
        .transpose()?;
    Ok(Step {
        condition,
        action,
        common: Common::compile(&common, default_failure_tag)?,
    })
}

impl FilterChain {
    /// A chain that does nothing.
    pub fn empty() -> FilterChain {
        FilterChain::default()
    }

    /// Whether the chain has no filters: callers keep their fast path (no `Event` at all) then.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Runs every filter whose condition holds, in order; stops at a `drop`.
    pub fn apply(&self, event: &mut Event) -> Verdict {
        for step in &self.steps {
            if let Some(condition) = &step.condition {
                if !condition.eval(event) {
                    continue;
                }
            }
            let outcome = match &step.action {
                Action::Json(f) => f.apply(event),
                Action::Date(f) => f.apply(event),
                Action::Dissect(f) => f.apply(event),
                Action::Grok(f) => f.apply(event),
                Action::Mutate(f) => f.apply(event),
                Action::Drop => return Verdict::Drop,
            };
            match outcome {
                Outcome::Success => step.common.on_success(event),
                Outcome::Failure => step.common.on_failure(event),
                Outcome::Skipped => {}
            }
        }
        Verdict::Keep
    }
}

/// A field name that may depend on the event (`foo_%{bar}`).
#[derive(Debug, Clone)]
pub(crate) enum FieldTemplate {
    Fixed(FieldRef),
    Dynamic(Template),
}

impl FieldTemplate {
    pub(crate) fn compile(key: &str, text: &str) -> Result<FieldTemplate, Invalid> {
        let template = Template::parse(text).map_err(|e| Invalid::new(key, e.to_string()))?;
        match template.literal() {
            Some(name) => field(key, name).map(FieldTemplate::Fixed),
            None => Ok(FieldTemplate::Dynamic(template)),
        }
    }

    /// The field for this event (`None` when the rendered name is not a field reference).
    pub(crate) fn resolve(&self, event: &Event) -> Option<std::borrow::Cow<'_, FieldRef>> {
        match self {
            FieldTemplate::Fixed(field) => Some(std::borrow::Cow::Borrowed(field)),
            FieldTemplate::Dynamic(template) => FieldRef::parse(&template.render(event))
                .ok()
                .map(std::borrow::Cow::Owned),
        }
    }
}

/// The compiled common options of one filter.
#[derive(Debug, Clone, Default)]
struct Common {
    add_field: Vec<(FieldTemplate, Vec<Template>)>,
    remove_field: Vec<FieldTemplate>,
    add_tag: Vec<Template>,
    remove_tag: Vec<Template>,
    tag_on_failure: Vec<String>,
}

impl Common {
    fn compile(
        spec: &CommonSpec<'_>,
        default_failure_tag: Option<&str>,
    ) -> Result<Common, Invalid> {
        let template = |key: &str, text: &str| {
            Template::parse(text).map_err(|e| Invalid::new(key, format!("`{text}`: {e}")))
        };
        let mut add_field = Vec::new();
        for (name, values) in spec.add_field {
            let values = values
                .iter()
                .map(|v| template("add_field", v))
                .collect::<Result<Vec<_>, _>>()?;
            add_field.push((FieldTemplate::compile("add_field", name)?, values));
        }
        Ok(Common {
            add_field,
            remove_field: spec
                .remove_field
                .iter()
                .map(|f| FieldTemplate::compile("remove_field", f))
                .collect::<Result<_, _>>()?,
            add_tag: spec
                .add_tag
                .iter()
                .map(|t| template("add_tag", t))
                .collect::<Result<_, _>>()?,
            remove_tag: spec
                .remove_tag
                .iter()
                .map(|t| template("remove_tag", t))
                .collect::<Result<_, _>>()?,
            tag_on_failure: match spec.tag_on_failure {
                Some(tags) => tags.0.clone(),
                None => default_failure_tag
                    .map(str::to_string)
                    .into_iter()
                    .collect(),
            },
        })
    }

    fn on_success(&self, event: &mut Event) {
        for (name, values) in &self.add_field {
            let Some(field) = name.resolve(event).map(|f| f.into_owned()) else {
                continue;
            };
            let mut rendered: Vec<Value> = values
                .iter()
                .map(|v| Value::String(v.render(event)))
                .collect();
            // Logstash: adding to an existing field turns it into a list.
            match event.get_mut(&field) {
                Some(Value::Array(existing)) => existing.append(&mut rendered),
                Some(existing) => {
                    let first = existing.take();
                    let mut list = vec![first];
                    list.append(&mut rendered);
                    *existing = Value::Array(list);
                }
                None => {
                    let value = if rendered.len() == 1 {
                        rendered.pop().unwrap_or(Value::Null)
                    } else {
                        Value::Array(rendered)
                    };
                    event.set(&field, value);
                }
            }
        }
        for name in &self.remove_field {
            if let Some(field) = name.resolve(event).map(|f| f.into_owned()) {
                event.remove(&field);
            }
        }
        for tag in &self.add_tag {
            let tag = tag.render(event);
            event.add_tag(&tag);
        }
        for tag in &self.remove_tag {
            let tag = tag.render(event);
            event.remove_tag(&tag);
        }
    }

    fn on_failure(&self, event: &mut Event) {
        for tag in &self.tag_on_failure {
            event.add_tag(tag);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_is_shared_by_threads() {
        fn shared<T: Send + Sync + Clone + 'static>() {}
        shared::<FilterChain>();
    }

    #[test]
    fn conditions_gate_filters_and_drop_stops_the_chain() {
        let specs: Vec<FilterSpec> = serde_json::from_value(serde_json::json!([
            {"mutate": {"if": "[n] > 1", "add_tag": ["big"]}},
            {"drop": {"if": "[n] > 5"}},
            {"mutate": {"add_tag": ["after"]}},
        ]))
        .expect("specs");
        let chain = compile(&specs).expect("compiles");
        assert_eq!(chain.len(), 3);
        let mut small = Event::from_json_slice(br#"{"n":1}"#).expect("event");
        assert_eq!(chain.apply(&mut small), Verdict::Keep);
        assert_eq!(small.tags().collect::<Vec<_>>(), ["after"]);
        let mut huge = Event::from_json_slice(br#"{"n":9}"#).expect("event");
        assert_eq!(chain.apply(&mut huge), Verdict::Drop);
        assert_eq!(huge.tags().collect::<Vec<_>>(), ["big"]);
    }
}
