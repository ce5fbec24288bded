//! Reads a query's commands (`fields`, `display`, `filter`, `parse`, `stats`, `sort`, `limit`,
//! `dedup`, separated by `|`), gives every field it names a slot, and works out which fields the
//! results show. Expressions are read in `expr_parser.rs`.

use std::collections::{HashMap, HashSet};

use regex::Regex;

use super::ast::{Aggregate, Command, Expr, ParseCommand, Projection, Slot, StatsCommand};
use super::error::QueryError;
use super::lexer::{Token, TokenKind, tokenize};

/// The system fields every event has, in their slot order.
pub(crate) const SYSTEM_FIELDS: [&str; 6] = ["@timestamp", "@message", "@logStream", "@log", "@ingestionTime", "@ptr"];
pub(crate) const TIMESTAMP: Slot = 0;
pub(crate) const MESSAGE: Slot = 1;
pub(crate) const LOG_STREAM: Slot = 2;
pub(crate) const LOG: Slot = 3;
pub(crate) const INGESTION_TIME: Slot = 4;
pub(crate) const PTR: Slot = 5;

/// The most rows the `limit` command takes (AWS raised it from 10,000 to 100,000, as StartQuery's `limit`).
pub(crate) const MAX_LIMIT: usize = 100_000;
/// A query may aggregate twice at most.
const MAX_STATS: usize = 2;

const KEYWORDS: [&str; 9] = ["and", "or", "not", "like", "in", "as", "by", "asc", "desc"];
const COMMANDS: [&str; 8] = ["fields", "display", "filter", "parse", "stats", "sort", "limit", "dedup"];

/// A parsed query, ready to run.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) commands: Vec<Command>,
    /// Slot number to field name.
    pub(crate) names: Vec<String>,
    /// The fields each result row shows, in order.
    pub(crate) columns: Vec<Slot>,
    /// Whether rows are events (not `stats` groups), which carry `@ptr`.
    pub(crate) rows_are_events: bool,
    /// Fields a JSON event may supply, by flattened JSON name (`a.b`, `list.0`).
    pub(crate) discoverable: HashMap<String, Slot>,
}

pub(crate) struct Parser<'q> {
    pub(crate) query: &'q str,
    tokens: Vec<Token>,
    pos: usize,
    pub(crate) names: Vec<String>,
    slots: HashMap<String, Slot>,
    /// Slots the query reads as fields: only these can come from a JSON event.
    read: HashSet<Slot>,
    /// Set while reading a `stats` command's outputs: aggregates found so far.
    pub(crate) aggregates: Option<Vec<Aggregate>>,
}

impl<'q> Parser<'q> {
    pub(crate) fn parse(query: &'q str) -> Result<Plan, QueryError> {
        let tokens = tokenize(query)?;
        let mut parser = Parser {
            query,
            tokens,
            pos: 0,
            names: Vec::new(),
            slots: HashMap::new(),
            read: HashSet::new(),
            aggregates: None,
        };
        for name in SYSTEM_FIELDS {
            parser.slot(name);
        }
        parser.plan()
    }

    fn plan(mut self) -> Result<Plan, QueryError> {
        let mut commands: Vec<Command> = Vec::new();
        let mut shown_fields: Vec<Slot> = Vec::new();
        let mut display: Option<Vec<Slot>> = None;
        let mut stats_seen = 0;
        let mut dedup_seen = false;
        loop {
            let head = self.peek().clone();
            if matches!(head.kind, TokenKind::End) {
                return Err(QueryError::unexpected(self.query, head.start, head.end));
            }
            let name = match &head.kind {
                TokenKind::Word(word) if COMMANDS.iter().any(|c| c.eq_ignore_ascii_case(word)) => {
                    word.to_ascii_lowercase()
                }
                _ => return Err(QueryError::unexpected(self.query, head.start, head.end)),
            };
            // Documented: only `limit` may follow `dedup`; `sort` and `limit` come after the last
            // `stats`; at most two `stats`.
            let misplaced = (dedup_seen && name != "limit")
                || (name == "stats"
                    && (stats_seen == MAX_STATS
                        || commands.iter().any(|c| matches!(c, Command::Sort(_) | Command::Limit(_)))));
            if misplaced {
                return Err(QueryError::unexpected(self.query, head.start, head.end));
            }
            self.pos += 1;
            let command = match name.as_str() {
                "fields" => {
                    let projections = self.projections()?;
                    add_unique(&mut shown_fields, projections.iter().map(|p| p.slot));
                    Command::Fields(projections)
                }
                "display" => {
                    let projections = self.projections()?;
                    display = Some(projections.iter().map(|p| p.slot).collect());
                    Command::Display(projections)
                }
                "filter" => Command::Filter(self.expression()?),
                "parse" => Command::Parse(self.parse_command()?),
                "stats" => {
                    let stats = self.stats_command()?;
                    stats_seen += 1;
                    shown_fields = stats.groups.iter().chain(&stats.outputs).map(|p| p.slot).collect();
                    display = None;
                    Command::Stats(stats)
                }
                "sort" => Command::Sort(self.sort_keys()?),
                "limit" => Command::Limit(self.limit()?),
                _ => {
                    dedup_seen = true;
                    Command::Dedup(self.dedup_fields()?)
                }
            };
            commands.push(command);
            let next = self.peek().clone();
            match next.kind {
                TokenKind::End => break,
                TokenKind::Symbol("|") => self.pos += 1,
                _ => return Err(QueryError::unexpected(self.query, next.start, next.end)),
            }
        }
        let rows_are_events = stats_seen == 0;
        let columns = match display {
            Some(display) => display,
            None if !shown_fields.is_empty() => shown_fields,
            // AWS: with no fields, display or stats, the results show `@timestamp` and `@message`.
            None => vec![TIMESTAMP, MESSAGE],
        };
        let discoverable = self
            .names
            .iter()
            .enumerate()
            .skip(SYSTEM_FIELDS.len())
            .filter(|(slot, _)| self.read.contains(slot))
            .filter_map(|(slot, name)| Some((json_key(name)?.to_owned(), slot)))
            .collect();
        Ok(Plan { commands, names: self.names, columns, rows_are_events, discoverable })
    }

    // ---- tokens ----

    pub(crate) fn peek(&self) -> &Token {
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    pub(crate) fn peek_at(&self, ahead: usize) -> &Token {
        &self.tokens[(self.pos + ahead).min(self.tokens.len() - 1)]
    }

    pub(crate) fn advance(&mut self) -> Token {
        let token = self.peek().clone();
        if !matches!(token.kind, TokenKind::End) {
            self.pos += 1;
        }
        token
    }

    /// The end of the last token read (for the source text of an expression).
    pub(crate) fn last_end(&self) -> usize {
        self.tokens[..self.pos].last().map_or(0, |t| t.end)
    }

    pub(crate) fn eat_word(&mut self, keyword: &str) -> bool {
        if self.peek().is_word(keyword) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(crate) fn eat_symbol(&mut self, symbol: &str) -> bool {
        if self.peek().is_symbol(symbol) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(crate) fn expect_symbol(&mut self, symbol: &str) -> Result<(), QueryError> {
        if self.eat_symbol(symbol) { Ok(()) } else { Err(self.unexpected()) }
    }

    pub(crate) fn unexpected(&self) -> QueryError {
        let token = self.peek();
        QueryError::unexpected(self.query, token.start, token.end)
    }

    pub(crate) fn is_keyword(word: &str) -> bool {
        KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
    }

    // ---- slots ----

    pub(crate) fn slot(&mut self, name: &str) -> Slot {
        if let Some(slot) = self.slots.get(name) {
            return *slot;
        }
        let slot = self.names.len();
        self.names.push(name.to_owned());
        self.slots.insert(name.to_owned(), slot);
        slot
    }

    /// The slot of a field an expression reads.
    pub(crate) fn read_slot(&mut self, name: &str) -> Slot {
        let slot = self.slot(name);
        self.read.insert(slot);
        slot
    }

    /// The slot of an existing field whose name is `text` once blanks are ignored, so that
    /// `sort count(*) desc` finds the column `stats count (*)` made.
    pub(crate) fn existing_slot(&self, text: &str) -> Option<Slot> {
        let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        let wanted = squeeze(text);
        self.names.iter().position(|name| squeeze(name) == wanted)
    }

    /// A field name token (a word that is not a keyword, or a backtick-quoted name).
    pub(crate) fn field_name(&mut self) -> Result<String, QueryError> {
        match &self.peek().kind {
            TokenKind::Word(word) if !Self::is_keyword(word) => {
                let word = word.clone();
                self.pos += 1;
                Ok(word)
            }
            TokenKind::Quoted(name) => {
                let name = name.clone();
                self.pos += 1;
                Ok(name)
            }
            _ => Err(self.unexpected()),
        }
    }

    // ---- commands ----

    /// `expr [as name], ...` for `fields` and `display`.
    fn projections(&mut self) -> Result<Vec<Projection>, QueryError> {
        let mut projections = Vec::new();
        loop {
            let start = self.peek().start;
            let expr = self.expression()?;
            let slot = self.output_slot(&expr, start)?;
            projections.push(Projection { expr, slot });
            if !self.eat_symbol(",") {
                return Ok(projections);
            }
        }
    }

    /// The field an expression's value goes to: `as name`, the field itself, or the expression's
    /// text (AWS names an unnamed column after what the query wrote: `abs(f3-f4)`, `count(*)`).
    fn output_slot(&mut self, expr: &Expr, start: usize) -> Result<Slot, QueryError> {
        let text_end = self.last_end();
        if self.eat_word("as") {
            let name = self.field_name()?;
            return Ok(self.slot(&name));
        }
        if let Expr::Field(slot) = expr {
            return Ok(*slot);
        }
        let text = self.query[start..text_end].trim().to_owned();
        Ok(self.slot(&text))
    }

    fn parse_command(&mut self) -> Result<ParseCommand, QueryError> {
        let source_is_named = matches!(self.peek().kind, TokenKind::Word(_) | TokenKind::Quoted(_))
            && matches!(self.peek_at(1).kind, TokenKind::Str(_) | TokenKind::Regex(_));
        let source = if source_is_named {
            let name = self.field_name()?;
            Expr::Field(self.read_slot(&name))
        } else {
            Expr::Field(MESSAGE)
        };
        let pattern = self.advance();
        match pattern.kind {
            TokenKind::Str(glob) => {
                if !self.eat_word("as") {
                    return Err(self.unexpected());
                }
                let mut names = vec![self.field_name()?];
                while self.eat_symbol(",") {
                    names.push(self.field_name()?);
                }
                let wildcards = glob.matches('*').count();
                if wildcards != names.len() {
                    return Err(QueryError::at(
                        self.query,
                        pattern.start,
                        pattern.end,
                        format!("the pattern has {wildcards} wildcards for {} fields", names.len()),
                    ));
                }
                let regex = Regex::new(&glob_to_regex(&glob)).map_err(|e| {
                    QueryError::at(self.query, pattern.start, pattern.end, format!("invalid pattern: {e}"))
                })?;
                let captures = names.iter().enumerate().map(|(i, name)| (i + 1, self.slot(name))).collect();
                Ok(ParseCommand { source, regex, captures })
            }
            TokenKind::Regex(body) => {
                let regex = self.compile_regex(&body, pattern.start, pattern.end)?;
                let captures: Vec<(usize, Slot)> = regex
                    .capture_names()
                    .enumerate()
                    .filter_map(|(i, name)| name.map(|n| (i, n.to_owned())))
                    .collect::<Vec<_>>()
                    .into_iter()
                    .map(|(i, name)| (i, self.slot(&name)))
                    .collect();
                if captures.is_empty() {
                    return Err(QueryError::at(
                        self.query,
                        pattern.start,
                        pattern.end,
                        "a parse regular expression names what it extracts: (?<name>...)",
                    ));
                }
                Ok(ParseCommand { source, regex, captures })
            }
            _ => Err(QueryError::unexpected(self.query, pattern.start, pattern.end)),
        }
    }

    pub(crate) fn compile_regex(&self, body: &str, start: usize, end: usize) -> Result<Regex, QueryError> {
        regex::RegexBuilder::new(body)
            .size_limit(1 << 22)
            .build()
            .map_err(|e| QueryError::at(self.query, start, end, format!("invalid regular expression: {e}")))
    }

    fn stats_command(&mut self) -> Result<StatsCommand, QueryError> {
        self.aggregates = Some(Vec::new());
        let mut outputs = Vec::new();
        let result = (|| {
            loop {
                let start = self.peek().start;
                let before = self.aggregates.as_ref().map_or(0, Vec::len);
                let expr = self.expression()?;
                if self.aggregates.as_ref().map_or(0, Vec::len) == before {
                    return Err(QueryError::at(
                        self.query,
                        start,
                        self.last_end(),
                        "stats needs an aggregation function such as count(), sum() or avg()",
                    ));
                }
                let slot = self.output_slot(&expr, start)?;
                outputs.push(Projection { expr, slot });
                if !self.eat_symbol(",") {
                    return Ok(());
                }
            }
        })();
        let aggregates = self.aggregates.take().unwrap_or_default();
        result?;
        let mut groups = Vec::new();
        if self.eat_word("by") {
            loop {
                let start = self.peek().start;
                let expr = self.expression()?;
                let slot = self.output_slot(&expr, start)?;
                groups.push(Projection { expr, slot });
                if !self.eat_symbol(",") {
                    break;
                }
            }
        }
        Ok(StatsCommand { aggregates, outputs, groups })
    }

    fn sort_keys(&mut self) -> Result<Vec<(Expr, bool)>, QueryError> {
        let mut keys = Vec::new();
        loop {
            let expr = self.expression()?;
            // Ascending unless `desc` is written: AWS does not document a default.
            let descending = if self.eat_word("desc") {
                true
            } else {
                self.eat_word("asc");
                false
            };
            keys.push((expr, descending));
            if !self.eat_symbol(",") {
                return Ok(keys);
            }
        }
    }

    fn limit(&mut self) -> Result<usize, QueryError> {
        let token = self.advance();
        match token.kind {
            TokenKind::Number(n) if n >= 1.0 && n.fract() == 0.0 && n <= MAX_LIMIT as f64 => Ok(n as usize),
            TokenKind::Number(_) => Err(QueryError::at(
                self.query,
                token.start,
                token.end,
                format!("limit takes a whole number from 1 to {MAX_LIMIT}"),
            )),
            _ => Err(QueryError::unexpected(self.query, token.start, token.end)),
        }
    }

    fn dedup_fields(&mut self) -> Result<Vec<Expr>, QueryError> {
        let mut fields = Vec::new();
        loop {
            let name = self.field_name()?;
            fields.push(Expr::Field(self.read_slot(&name)));
            if !self.eat_symbol(",") {
                return Ok(fields);
            }
        }
    }
}

/// The JSON key a field name reads: AWS shows a key starting with `@` with another `@` in front
/// (`@@example.com`), so other names starting with `@` are Logs Insights' own, never JSON's.
fn json_key(name: &str) -> Option<&str> {
    match name.strip_prefix('@') {
        Some(key) if key.starts_with('@') => Some(key),
        Some(_) => None,
        None => Some(name),
    }
}

fn add_unique(list: &mut Vec<Slot>, slots: impl Iterator<Item = Slot>) {
    for slot in slots {
        if !list.contains(&slot) {
            list.push(slot);
        }
    }
}

/// A `parse` glob as a regular expression: literal text between the `*`s, each `*` capturing
/// as little as it can, except a final `*`, which takes the rest. The match may start anywhere
/// (`"[*] *"` finds the bracket inside the line).
fn glob_to_regex(glob: &str) -> String {
    let mut regex = String::from("(?s)");
    let pieces: Vec<&str> = glob.split('*').collect();
    for (i, piece) in pieces.iter().enumerate() {
        regex.push_str(&regex::escape(piece));
        if i + 1 < pieces.len() {
            regex.push_str(if i + 2 == pieces.len() && pieces[i + 1].is_empty() { "(.*)" } else { "(.*?)" });
        }
    }
    regex
}

#[cfg(test)]
mod tests {
    use super::*;

    fn discoverable(query: &str) -> Vec<String> {
        let mut names: Vec<String> = Parser::parse(query).unwrap().discoverable.into_keys().collect();
        names.sort();
        names
    }

    #[test]
    fn only_fields_the_query_reads_come_from_json() {
        assert!(discoverable("stats count(*) as n by bin(5m)").is_empty(), "no JSON parsing needed");
        assert!(discoverable("fields @timestamp, @message | sort @timestamp desc").is_empty());
        assert_eq!(discoverable("fields user.id as uid | filter ispresent(level)"), ["level", "user.id"]);
        // Shown with a second @, read from the JSON key with one.
        assert_eq!(discoverable("fields `@@origin`"), ["@origin"]);
        assert!(discoverable("fields @requestId").is_empty());
    }

    #[test]
    fn globs_become_lazy_captures() {
        assert_eq!(glob_to_regex("[*] *"), r"(?s)\[(.*?)\] (.*)");
        assert_eq!(glob_to_regex("a=*, b=*;"), "(?s)a=(.*?), b=(.*?);");
    }
}
