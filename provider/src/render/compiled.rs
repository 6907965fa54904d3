//! The built-in templates compiled once into a tree that rendering walks directly over the data.
//!
//! Why: handlebars-rust resolves every `{{x.y}}` by building the absolute path as a vector of
//! owned strings, clones the context into every partial and allocates a helper record per call;
//! for the HPA template that was about nine tenths of a render (issue #11). The templates stay
//! handlebars: they are parsed (and checked) by the handlebars crate, and this module reads the
//! parsed form. It knows only the subset the built-in templates use, with handlebars' semantics:
//! text, `{{path}}` (escaped), `{{yaml x}}`, `{{yaml_block x n}}`, `#if`/`#unless` (with
//! `includeZero=true` and `(eq a b)`/`(ne a b)` conditions), `#each`, `#with`, `{{else}}`,
//! `@index`/`@key`/`@first`/`@last`, `this`, and `{{#*inline}}` partials used without indentation.
//! A template using anything else is not compiled (handlebars renders it), and any render that
//! would fail (a missing variable, a wrong parameter type) is handed back to handlebars, whose
//! error message is the one users see. Unit tests compare the two engines on every construct, and
//! in tests every built-in render is checked against handlebars' output (see `templates::render`).

use std::borrow::Cow;
use std::collections::HashMap;

use handlebars::template::{HelperTemplate, Parameter, TemplateElement};
use handlebars::{JsonRender, JsonTruthy, Path, PathSeg, Template};
use serde_json::Value as Json;

use super::yaml_scalar;

/// Names handlebars resolves as helpers in the built-in registry: a bare `{{name}}` with one of
/// them calls the helper, so it cannot be read as a variable.
const HELPER_NAMES: [&str; 19] =
    ["if", "unless", "each", "with", "lookup", "raw", "log", "eq", "ne", "gt", "gte", "lt", "lte", "and", "or", "not", "len", "yaml", "yaml_block"];

/// A template construct outside the compiled subset (compilation), or a render handlebars must
/// do itself to report its error (rendering).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsupported;

/// A local variable of `#each`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Local {
    Index,
    Key,
    First,
    Last,
}

/// Where a value comes from.
#[derive(Debug, Clone, PartialEq)]
enum Operand {
    /// Named segments below the current scope (`this` is the empty path).
    Path(Vec<String>),
    Local(Local),
    Literal(Json),
}

#[derive(Debug, Clone, PartialEq)]
enum Condition {
    Value(Operand),
    /// `(eq a b)` when `equal`, `(ne a b)` otherwise.
    Compare { left: Operand, right: Operand, equal: bool },
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    /// `{{x}}` (escaped) or `{{{x}}}` (raw).
    Value { operand: Operand, escape: bool },
    Yaml(Operand),
    YamlBlock { text: Operand, indent: Operand },
    If { condition: Condition, include_zero: bool, positive: bool, then: Vec<Node>, otherwise: Vec<Node> },
    Each { over: Operand, body: Vec<Node>, otherwise: Vec<Node> },
    With { value: Operand, body: Vec<Node>, otherwise: Vec<Node> },
    /// An inline partial (index into `Compiled::partials`), with its context.
    Partial { index: usize, context: Option<Operand> },
}

static NULL: Json = Json::Null;

/// A compiled template.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    root: Vec<Node>,
    partials: Vec<Vec<Node>>,
    /// Output length to reserve up front.
    size_hint: usize,
}

impl Compiled {
    /// Compiles a parsed template, or says it uses something outside the subset.
    ///
    /// # Errors
    /// [`Unsupported`] for any construct this module does not implement.
    pub fn new(template: &Template) -> Result<Self, Unsupported> {
        let mut compiler = Compiler { names: HashMap::new(), partials: Vec::new() };
        let mut root = Vec::new();
        for element in &template.elements {
            // Inline partials are defined at the top level only, before any use.
            if let TemplateElement::DecoratorBlock(decorator) = element {
                let (Parameter::Name(name), [Parameter::Literal(Json::String(partial))], None, true) =
                    (&decorator.name, decorator.params.as_slice(), decorator.indent.as_ref(), decorator.hash.is_empty())
                else {
                    return Err(Unsupported);
                };
                if name != "inline" || compiler.names.contains_key(partial) {
                    return Err(Unsupported);
                }
                let body = compiler.nodes(decorator.template.as_ref().map_or(&[][..], |t| &t.elements))?;
                compiler.names.insert(partial.clone(), compiler.partials.len());
                compiler.partials.push(body);
            } else {
                compiler.element(element, &mut root)?;
            }
        }
        let size_hint = text_len(&root) + compiler.partials.iter().map(|p| text_len(p)).sum::<usize>();
        Ok(Self { root, partials: compiler.partials, size_hint })
    }

    /// Renders `data`.
    ///
    /// # Errors
    /// [`Unsupported`] when handlebars would fail (or might differ): render with handlebars then.
    pub fn render(&self, data: &Json) -> Result<String, Unsupported> {
        let mut out = String::with_capacity(self.size_hint * 2);
        let scope = Scope { value: data, locals: Locals::default() };
        self.nodes(&self.root, &scope, &mut out)?;
        Ok(out)
    }

    fn nodes(&self, nodes: &[Node], scope: &Scope<'_>, out: &mut String) -> Result<(), Unsupported> {
        for node in nodes {
            match node {
                Node::Text(text) => out.push_str(text),
                Node::Value { operand, escape } => {
                    // A missing value prints nothing (handlebars without strict mode).
                    if let Some(value) = scope.get(operand)? {
                        let text = value.render();
                        if *escape {
                            out.push_str(&yaml_scalar::scalar(&text));
                        } else {
                            out.push_str(&text);
                        }
                    }
                }
                Node::Yaml(operand) => yaml_scalar::push_value(out, &*scope.get(operand)?.ok_or(Unsupported)?),
                Node::YamlBlock { text, indent } => {
                    let text = scope.get(text)?;
                    let Some(Json::String(text)) = text.as_deref() else { return Err(Unsupported) };
                    let indent = scope.get(indent)?.and_then(|i| i.as_u64()).ok_or(Unsupported)?;
                    out.push_str(&yaml_scalar::block(text, yaml_scalar::block_indent(indent)));
                }
                Node::If { condition, include_zero, positive, then, otherwise } => {
                    let truthy = match condition {
                        Condition::Value(operand) => scope.get(operand)?.is_some_and(|v| v.is_truthy(*include_zero)),
                        // A missing value compares as null.
                        Condition::Compare { left, right, equal } => (scope.get(left)?.as_deref().unwrap_or(&NULL) == scope.get(right)?.as_deref().unwrap_or(&NULL)) == *equal,
                    };
                    self.nodes(if truthy == *positive { then } else { otherwise }, scope, out)?;
                }
                Node::Each { over, body, otherwise } => {
                    let held = scope.get(over)?;
                    match held.as_deref() {
                        // An empty collection renders `{{else}}` when there is one, else nothing.
                        Some(Json::Array(items)) if !items.is_empty() || otherwise.is_empty() => {
                            let last = items.len().saturating_sub(1);
                            for (i, item) in items.iter().enumerate() {
                                let locals = Locals { index: Some(i), key: None, first: Some(i == 0), last: Some(i == last) };
                                self.nodes(body, &Scope { value: item, locals }, out)?;
                            }
                        }
                        Some(Json::Object(entries)) if !entries.is_empty() || otherwise.is_empty() => {
                            let last = entries.len().saturating_sub(1);
                            for (i, (key, item)) in entries.iter().enumerate() {
                                let locals = Locals { index: Some(i), key: Some(key), first: Some(i == 0), last: Some(i == last) };
                                self.nodes(body, &Scope { value: item, locals }, out)?;
                            }
                        }
                        _ => self.nodes(otherwise, scope, out)?,
                    }
                }
                Node::With { value, body, otherwise } => {
                    let held = scope.get(value)?;
                    match held.as_deref() {
                        // `#with` keeps the enclosing block's local variables.
                        Some(value) if value.is_truthy(false) => self.nodes(body, &Scope { value, locals: scope.locals }, out)?,
                        _ => self.nodes(otherwise, scope, out)?,
                    }
                }
                Node::Partial { index, context } => {
                    let held = match context {
                        Some(operand) => scope.get(operand)?,
                        None => Some(Cow::Borrowed(scope.value)),
                    };
                    let body = self.partials.get(*index).ok_or(Unsupported)?;
                    // A partial keeps the enclosing block's local variables too.
                    self.nodes(body, &Scope { value: held.as_deref().unwrap_or(&NULL), locals: scope.locals }, out)?;
                }
            }
        }
        Ok(())
    }
}

fn text_len(nodes: &[Node]) -> usize {
    nodes
        .iter()
        .map(|node| match node {
            Node::Text(text) => text.len(),
            Node::If { then, otherwise, .. } => text_len(then).max(text_len(otherwise)),
            Node::Each { body, .. } | Node::With { body, .. } => text_len(body),
            _ => 8,
        })
        .sum()
}

/// `#each`'s variables in the innermost block (handlebars keeps them per block).
#[derive(Debug, Clone, Copy, Default)]
struct Locals<'a> {
    index: Option<usize>,
    key: Option<&'a str>,
    first: Option<bool>,
    last: Option<bool>,
}

struct Scope<'a> {
    value: &'a Json,
    locals: Locals<'a>,
}

impl<'a> Scope<'a> {
    /// The value of `operand`, `None` when missing; an error where handlebars reports one.
    fn get<'s>(&'s self, operand: &'s Operand) -> Result<Option<Cow<'s, Json>>, Unsupported>
    where
        'a: 's,
    {
        match operand {
            Operand::Literal(value) => Ok(Some(Cow::Borrowed(value))),
            Operand::Path(segments) => {
                let mut current = Some(self.value);
                for segment in segments {
                    current = match current {
                        // An array takes only numbers; handlebars fails on anything else.
                        Some(Json::Array(items)) => items.get(segment.parse::<usize>().map_err(|_| Unsupported)?),
                        // Objects here are small: comparing a few keys beats hashing one.
                        Some(Json::Object(entries)) if entries.len() <= 16 => entries.iter().find(|(key, _)| *key == segment).map(|(_, value)| value),
                        Some(Json::Object(entries)) => entries.get(segment.as_str()),
                        _ => None,
                    };
                }
                Ok(current.map(Cow::Borrowed))
            }
            Operand::Local(local) => Ok(match local {
                Local::Index => self.locals.index.map(Json::from),
                Local::Key => self.locals.key.map(|k| Json::String(k.to_string())),
                Local::First => self.locals.first.map(Json::Bool),
                Local::Last => self.locals.last.map(Json::Bool),
            }
            .map(Cow::Owned)),
        }
    }
}

struct Compiler {
    names: HashMap<String, usize>,
    partials: Vec<Vec<Node>>,
}

impl Compiler {
    fn nodes(&mut self, elements: &[TemplateElement]) -> Result<Vec<Node>, Unsupported> {
        let mut nodes = Vec::new();
        for element in elements {
            self.element(element, &mut nodes)?;
        }
        Ok(nodes)
    }

    fn element(&mut self, element: &TemplateElement, nodes: &mut Vec<Node>) -> Result<(), Unsupported> {
        match element {
            TemplateElement::RawString(text) => match nodes.last_mut() {
                Some(Node::Text(previous)) => previous.push_str(text),
                _ => nodes.push(Node::Text(text.clone())),
            },
            TemplateElement::Comment(_) => {}
            TemplateElement::Expression(helper) | TemplateElement::HtmlExpression(helper) => {
                let escape = matches!(element, TemplateElement::Expression(_));
                nodes.push(expression(helper, escape)?);
            }
            TemplateElement::HelperBlock(helper) => nodes.push(self.block(helper)?),
            TemplateElement::PartialExpression(partial) => {
                let (Parameter::Name(name) | Parameter::Path(Path::Relative((_, name)))) = &partial.name else { return Err(Unsupported) };
                let indented = partial.indent.as_deref().is_some_and(|indent| !indent.is_empty());
                if indented || !partial.hash.is_empty() || partial.template.is_some() || partial.params.len() > 1 {
                    return Err(Unsupported);
                }
                let index = *self.names.get(name).ok_or(Unsupported)?;
                let context = partial.params.first().map(operand).transpose()?;
                nodes.push(Node::Partial { index, context });
            }
            // Decorators, partial blocks and whatever later versions add.
            _ => return Err(Unsupported),
        }
        Ok(())
    }

    fn block(&mut self, helper: &HelperTemplate) -> Result<Node, Unsupported> {
        if helper.block_param.is_some() {
            return Err(Unsupported);
        }
        let body = self.nodes(helper.template.as_ref().map_or(&[][..], |t| &t.elements))?;
        let otherwise = self.nodes(helper.inverse.as_ref().map_or(&[][..], |t| &t.elements))?;
        let [param] = helper.params.as_slice() else { return Err(Unsupported) };
        match name_of(&helper.name)? {
            name @ ("if" | "unless") => {
                let include_zero = match helper.hash.get("includeZero") {
                    None => false,
                    Some(Parameter::Literal(value)) => value.as_bool().unwrap_or(false),
                    Some(_) => return Err(Unsupported),
                };
                if helper.hash.len() > usize::from(helper.hash.contains_key("includeZero")) {
                    return Err(Unsupported);
                }
                Ok(Node::If { condition: condition(param)?, include_zero, positive: name == "if", then: body, otherwise })
            }
            "each" if helper.hash.is_empty() => Ok(Node::Each { over: path_operand(param)?, body, otherwise }),
            "with" if helper.hash.is_empty() => Ok(Node::With { value: path_operand(param)?, body, otherwise }),
            _ => Err(Unsupported),
        }
    }
}

/// The helper name of an expression or block.
fn name_of(name: &Parameter) -> Result<&str, Unsupported> {
    match name {
        Parameter::Name(name) => Ok(name),
        Parameter::Path(Path::Relative((segments, _))) => match segments.as_slice() {
            [PathSeg::Named(name)] => Ok(name),
            _ => Err(Unsupported),
        },
        _ => Err(Unsupported),
    }
}

fn expression(helper: &HelperTemplate, escape: bool) -> Result<Node, Unsupported> {
    if helper.block || !helper.hash.is_empty() {
        return Err(Unsupported);
    }
    if helper.params.is_empty() {
        // A bare name that is also a helper would call the helper.
        if name_of(&helper.name).is_ok_and(|name| HELPER_NAMES.contains(&name)) {
            return Err(Unsupported);
        }
        return Ok(Node::Value { operand: operand(&helper.name)?, escape });
    }
    match (name_of(&helper.name)?, helper.params.as_slice()) {
        ("yaml", [value]) => Ok(Node::Yaml(operand(value)?)),
        ("yaml_block", [text, indent]) => Ok(Node::YamlBlock { text: operand(text)?, indent: operand(indent)? }),
        _ => Err(Unsupported),
    }
}

fn condition(param: &Parameter) -> Result<Condition, Unsupported> {
    let Parameter::Subexpression(sub) = param else { return Ok(Condition::Value(operand(param)?)) };
    let TemplateElement::Expression(helper) = sub.as_element() else { return Err(Unsupported) };
    match (name_of(&helper.name)?, helper.params.as_slice(), helper.hash.is_empty()) {
        (name @ ("eq" | "ne"), [left, right], true) => Ok(Condition::Compare { left: operand(left)?, right: operand(right)?, equal: name == "eq" }),
        _ => Err(Unsupported),
    }
}

/// An operand that must be a path in the data (`#each`, `#with`).
fn path_operand(param: &Parameter) -> Result<Operand, Unsupported> {
    match operand(param)? {
        path @ Operand::Path(_) => Ok(path),
        _ => Err(Unsupported),
    }
}

fn operand(param: &Parameter) -> Result<Operand, Unsupported> {
    match param {
        Parameter::Literal(value) => Ok(Operand::Literal(value.clone())),
        Parameter::Path(Path::Local((0, name, _))) => match name.as_str() {
            "index" => Ok(Operand::Local(Local::Index)),
            "key" => Ok(Operand::Local(Local::Key)),
            "first" => Ok(Operand::Local(Local::First)),
            "last" => Ok(Operand::Local(Local::Last)),
            _ => Err(Unsupported),
        },
        Parameter::Path(Path::Relative((segments, _))) => segments
            .iter()
            .map(|segment| match segment {
                PathSeg::Named(name) => Ok(name.clone()),
                // `@root`, `../` and the like.
                _ => Err(Unsupported),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Operand::Path),
        _ => Err(Unsupported),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::render::templates::{TemplateName, bare_registry, builtin_compiled};

    /// Renders `source` with both engines; `None` when it does not compile.
    fn both(source: &str, data: &Json) -> Option<(Result<String, Unsupported>, Result<String, String>)> {
        let mut registry = bare_registry();
        registry.register_template_string("t", source).unwrap_or_else(|e| panic!("{source}: {e}"));
        let compiled = Compiled::new(registry.get_template("t")?).ok()?;
        Some((compiled.render(data), registry.render("t", data).map_err(|e| e.to_string())))
    }

    #[test]
    fn every_builtin_template_compiles() {
        let compiled = builtin_compiled().unwrap_or_else(|e| panic!("{e}"));
        for (name, compiled) in TemplateName::ALL.iter().zip(compiled) {
            assert!(compiled.is_some(), "{} uses handlebars beyond the compiled subset", name.file_name());
        }
    }

    #[test]
    fn constructs_render_as_handlebars_does() {
        let data = json!({
            "s": "plain", "q": "needs: quoting", "n": 0, "f": 1.5, "t": true, "no": false, "e": "", "z": null,
            "list": ["a", 2, null], "empty": [], "map": {"k1": "v1", "k 2": {"x": "y"}}, "none": {},
            "nested": {"a": {"b": "deep"}, "items": [{"v": 1}, {"v": 2}]}, "text": "line 1\nline 2\n"
        });
        let templates = [
            "raw text only\n",
            "{{s}} {{q}} {{n}} {{t}} {{z}} {{missing}} {{list}} {{map}}|{{{q}}}|{{{n}}}\n",
            "{{yaml s}} {{yaml q}} {{yaml n}} {{yaml f}} {{yaml t}} {{yaml z}} {{yaml list}} {{yaml map}} {{yaml nested.a}} {{yaml 3}} {{yaml \"lit\"}}\n",
            "a:{{#if s}} yes{{else}} no{{/if}}\n{{#if e}}e{{else}}not e{{/if}}\n{{#if n}}n{{/if}}{{#if n includeZero=true}}zero{{/if}}\n{{#if empty}}x{{/if}}{{#if none}}x{{else}}none{{/if}}\n",
            "{{#unless z}}z absent{{/unless}} {{#unless t}}no{{else}}t set{{/unless}}\n",
            "{{#if (ne z null)}}z{{/if}}{{#if (ne e null)}}e present{{/if}}{{#if (eq missing null)}}missing is null{{/if}}{{#if (ne s \"plain\")}}x{{else}}plain{{/if}}\n",
            "{{#if a}}a{{else if s}}else-if{{else}}else{{/if}}\n",
            "{{#each list}}\n- {{@index}} {{yaml this}} {{@first}} {{@last}} {{@key}}\n{{/each}}\n",
            "{{#each map}}\n{{yaml @key}}: {{yaml this}} {{@index}} {{#with this}}{{x}} {{@key}}{{/with}}\n{{/each}}\n",
            "{{#each empty}}x{{else}}empty{{/each}}|{{#each empty}}x{{/each}}|{{#each s}}x{{else}}string{{/each}}|{{#each missing}}x{{/each}}\n",
            "{{#with nested.a}}{{b}} {{yaml this.b}}{{/with}}|{{#with none}}x{{else}}falsy{{/with}}|{{#with missing}}x{{/with}}\n",
            "{{#each nested.items}}{{#with this}}{{v}}{{@index}}{{/with}}{{/each}}\n",
            "{{#*inline \"p\"}}\n  value: {{yaml v}} {{@index}}\n{{/inline}}\n{{#each nested.items}}\n{{> p this}}\n{{> p}}\n{{/each}}\n{{> p nested.items.1}}\n{{> p missing}}\n",
            "{{!-- comment --}}\nkey: {{yaml_block text 4}}\nother: {{yaml_block s 2}}\n",
            "{{list.1}} {{nested.items.0.v}}\n",
        ];
        for source in templates {
            let Some((compiled, handlebars)) = both(source, &data) else { panic!("does not compile: {source}") };
            match handlebars {
                Ok(expected) => assert_eq!(compiled, Ok(expected), "{source}"),
                Err(e) => assert_eq!(compiled, Err(Unsupported), "{source}: handlebars fails ({e})"),
            }
        }
    }

    #[test]
    fn failures_are_left_to_handlebars() {
        let data = json!({"list": [1], "n": 1});
        for source in ["{{yaml missing}}", "{{yaml_block n 2}}", "{{yaml_block list missing}}", "{{list.x}}"] {
            let (compiled, handlebars) = both(source, &data).unwrap_or_else(|| panic!("does not compile: {source}"));
            assert_eq!(compiled, Err(Unsupported), "{source}");
            assert!(handlebars.is_err(), "{source}: handlebars renders {handlebars:?}");
        }
    }

    #[test]
    fn constructs_outside_the_subset_are_not_compiled() {
        let data = json!({"a": {"b": 1}});
        for source in [
            "{{lookup a \"b\"}}",
            "{{#each a}}{{../a}}{{/each}}",
            "{{@root.a}}",
            "{{#each a as |v|}}{{v}}{{/each}}",
            "{{> other}}",
            "{{#*inline \"p\"}}x{{/inline}}\n  {{> p}}\n",
            "{{#*inline \"p\"}}x{{/inline}}{{> p a x=1}}",
            "{{#if a}}{{#*inline \"p\"}}x{{/inline}}{{/if}}",
            "{{#if (gt a 1)}}x{{/if}}",
            "{{len a}}",
            "{{yaml}}",
            "{{#with a}}{{#> p}}fallback{{/p}}{{/with}}",
        ] {
            assert!(both(source, &data).is_none(), "{source} compiled");
        }
    }
}
