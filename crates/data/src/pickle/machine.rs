//! The pickle virtual machine: a stack, a mark stack and a memo, driven by one opcode at a
//! time (see the module documentation of [`super`] for what is supported).

use super::{Dtype, Global, NdArray, PickleError, Seq, Value, MAX_DEPTH};
use std::collections::HashMap;
use std::rc::Rc;

pub(super) struct Machine<'a> {
    data: &'a [u8],
    pos: usize,
    stack: Vec<Value>,
    marks: Vec<usize>,
    memo: HashMap<u64, Value>,
}

impl<'a> Machine<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
        Machine {
            data,
            pos: 0,
            stack: Vec::new(),
            marks: Vec::new(),
            memo: HashMap::new(),
        }
    }

    fn malformed<T>(&self, reason: impl Into<String>) -> Result<T, PickleError> {
        Err(PickleError::Malformed {
            offset: self.pos,
            reason: reason.into(),
        })
    }

    fn take(&mut self, n: u64) -> Result<&[u8], PickleError> {
        let truncated = PickleError::Truncated {
            offset: self.data.len(),
        };
        let n = usize::try_from(n).map_err(|_| truncated.clone())?;
        let end = self.pos.checked_add(n).ok_or(truncated.clone())?;
        let slice = self.data.get(self.pos..end).ok_or(truncated)?;
        self.pos = end;
        Ok(slice)
    }

    fn uint(&mut self, n: usize) -> Result<u64, PickleError> {
        let b = self.take(n as u64)?;
        Ok(b.iter()
            .rev()
            .fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
    }

    fn line(&mut self) -> Result<String, PickleError> {
        let rest = &self.data[self.pos..];
        let Some(end) = rest.iter().position(|&b| b == b'\n') else {
            return Err(PickleError::Truncated {
                offset: self.data.len(),
            });
        };
        let text = String::from_utf8_lossy(&rest[..end]).into_owned();
        self.pos += end + 1;
        Ok(text)
    }

    fn text(&mut self, len: u64) -> Result<Value, PickleError> {
        let at = self.pos;
        let bytes = self.take(len)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(Value::Str(Rc::from(s))),
            Err(_) => Err(PickleError::Malformed {
                offset: at,
                reason: "a text string is not valid UTF-8".into(),
            }),
        }
    }

    fn bytes(&mut self, len: u64) -> Result<Value, PickleError> {
        Ok(Value::Bytes(Rc::new(self.take(len)?.to_vec())))
    }

    fn pop(&mut self) -> Result<Value, PickleError> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return self.malformed("an opcode needs a value but the stack is empty");
        }
        self.stack
            .pop()
            .map_or_else(|| self.malformed("the stack is empty"), Ok)
    }

    fn top_mut(&mut self) -> Result<&mut Value, PickleError> {
        let floor = self.marks.last().copied().unwrap_or(0);
        let offset = self.pos;
        if self.stack.len() <= floor {
            return Err(PickleError::Malformed {
                offset,
                reason: "an opcode needs a value but the stack is empty".into(),
            });
        }
        self.stack.last_mut().ok_or(PickleError::Malformed {
            offset,
            reason: "the stack is empty".into(),
        })
    }

    fn pop_mark(&mut self) -> Result<Vec<Value>, PickleError> {
        let Some(mark) = self.marks.pop() else {
            return self.malformed("an opcode needs a MARK but there is none");
        };
        Ok(self.stack.split_off(mark.min(self.stack.len())))
    }

    fn seq(&self, items: Vec<Value>) -> Result<Seq<Value>, PickleError> {
        let depth = 1 + items.iter().map(Value::depth).max().unwrap_or(0);
        if depth > MAX_DEPTH {
            return self.malformed(format!("containers nest deeper than {MAX_DEPTH}"));
        }
        Ok(Seq { items, depth })
    }

    fn tuple(&self, items: Vec<Value>) -> Result<Value, PickleError> {
        Ok(Value::Tuple(Rc::new(self.seq(items)?)))
    }

    fn push_tuple(&mut self, n: usize) -> Result<(), PickleError> {
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(self.pop()?);
        }
        items.reverse();
        let t = self.tuple(items)?;
        self.stack.push(t);
        Ok(())
    }

    fn extend_list(&mut self, items: Vec<Value>) -> Result<(), PickleError> {
        let offset = self.pos;
        let deepest = items.iter().map(Value::depth).max().unwrap_or(0);
        let Value::List(list) = self.top_mut()? else {
            return Err(PickleError::Malformed {
                offset,
                reason: "APPEND(S) needs a list".into(),
            });
        };
        let list = Rc::make_mut(list);
        list.depth = list.depth.max(deepest + 1);
        list.items.extend(items);
        if list.depth > MAX_DEPTH {
            return self.malformed(format!("containers nest deeper than {MAX_DEPTH}"));
        }
        Ok(())
    }

    fn set_items(&mut self, items: Vec<Value>) -> Result<(), PickleError> {
        if !items.len().is_multiple_of(2) {
            return self.malformed("SETITEMS needs key/value pairs");
        }
        let offset = self.pos;
        let deepest = items.iter().map(Value::depth).max().unwrap_or(0);
        let Value::Dict(dict) = self.top_mut()? else {
            return Err(PickleError::Malformed {
                offset,
                reason: "SETITEM(S) needs a dict".into(),
            });
        };
        let dict = Rc::make_mut(dict);
        dict.depth = dict.depth.max(deepest + 1);
        let mut it = items.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            dict.items.push((k, v));
        }
        if dict.depth > MAX_DEPTH {
            return self.malformed(format!("containers nest deeper than {MAX_DEPTH}"));
        }
        Ok(())
    }

    fn global(&mut self, module: &str, name: &str, offset: usize) -> Result<(), PickleError> {
        let g = Global::lookup(module, name).ok_or_else(|| PickleError::UnsupportedGlobal {
            module: module.into(),
            name: name.into(),
            offset,
        })?;
        self.stack.push(Value::Global(g));
        Ok(())
    }

    fn memo_get(&mut self, key: u64) -> Result<(), PickleError> {
        match self.memo.get(&key) {
            Some(v) => {
                let v = v.clone();
                self.stack.push(v);
                Ok(())
            }
            None => self.malformed(format!("memo entry {key} is read before it is written")),
        }
    }

    fn memo_put(&mut self, key: u64) -> Result<(), PickleError> {
        let v = self.top_mut()?.clone();
        self.memo.insert(key, v);
        Ok(())
    }

    pub(super) fn run(mut self) -> Result<Value, PickleError> {
        loop {
            let offset = self.pos;
            let op = self.take(1)?[0];
            match op {
                0x80 => {
                    let proto = self.uint(1)?;
                    if proto > 5 {
                        return self.malformed(format!("protocol {proto} is newer than 5"));
                    }
                }
                0x95 => {
                    self.uint(8)?; // FRAME: a length hint only
                }
                b'.' => {
                    let v = self.pop()?;
                    return Ok(v);
                }
                b'(' => self.marks.push(self.stack.len()),
                b'0' => {
                    self.pop()?;
                }
                b'1' => {
                    self.pop_mark()?;
                }
                b'2' => {
                    let v = self.top_mut()?.clone();
                    self.stack.push(v);
                }
                b'N' => self.stack.push(Value::None),
                0x88 => self.stack.push(Value::Bool(true)),
                0x89 => self.stack.push(Value::Bool(false)),
                b'J' => {
                    let v = self.uint(4)? as u32 as i32;
                    self.stack.push(Value::Int(v.into()));
                }
                b'K' => {
                    let v = self.uint(1)?;
                    self.stack.push(Value::Int(v as i64));
                }
                b'M' => {
                    let v = self.uint(2)?;
                    self.stack.push(Value::Int(v as i64));
                }
                0x8a | 0x8b => {
                    let n = if op == 0x8a {
                        self.uint(1)?
                    } else {
                        self.uint(4)?
                    };
                    if n > 8 {
                        return self.malformed("an integer does not fit in 64 bits");
                    }
                    let b = self.take(n)?;
                    let v = match b.last() {
                        None => 0,
                        Some(&last) => {
                            let fill = if last & 0x80 != 0 { 0xff } else { 0 };
                            let mut buf = [fill; 8];
                            buf[..b.len()].copy_from_slice(b);
                            i64::from_le_bytes(buf)
                        }
                    };
                    self.stack.push(Value::Int(v));
                }
                b'G' => {
                    let b = self.take(8)?;
                    let mut buf = [0u8; 8];
                    buf.copy_from_slice(b);
                    self.stack.push(Value::Float(f64::from_be_bytes(buf)));
                }
                0x8c => {
                    let n = self.uint(1)?;
                    let v = self.text(n)?;
                    self.stack.push(v);
                }
                b'X' => {
                    let n = self.uint(4)?;
                    let v = self.text(n)?;
                    self.stack.push(v);
                }
                0x8d => {
                    let n = self.uint(8)?;
                    let v = self.text(n)?;
                    self.stack.push(v);
                }
                b'C' | b'U' => {
                    let n = self.uint(1)?;
                    let v = self.bytes(n)?;
                    self.stack.push(v);
                }
                b'B' => {
                    let n = self.uint(4)?;
                    let v = self.bytes(n)?;
                    self.stack.push(v);
                }
                b'T' => {
                    let n = self.uint(4)? as u32 as i32;
                    if n < 0 {
                        return self.malformed("a byte string has a negative length");
                    }
                    let v = self.bytes(n as u64)?;
                    self.stack.push(v);
                }
                0x8e | 0x96 => {
                    let n = self.uint(8)?;
                    let v = self.bytes(n)?;
                    self.stack.push(v);
                }
                b')' => {
                    let t = self.tuple(Vec::new())?;
                    self.stack.push(t);
                }
                0x85 => self.push_tuple(1)?,
                0x86 => self.push_tuple(2)?,
                0x87 => self.push_tuple(3)?,
                b't' => {
                    let items = self.pop_mark()?;
                    let t = self.tuple(items)?;
                    self.stack.push(t);
                }
                b']' => self.stack.push(Value::List(Rc::new(Seq {
                    items: Vec::new(),
                    depth: 1,
                }))),
                b'l' => {
                    let items = self.pop_mark()?;
                    let s = self.seq(items)?;
                    self.stack.push(Value::List(Rc::new(s)));
                }
                b'a' => {
                    let v = self.pop()?;
                    self.extend_list(vec![v])?;
                }
                b'e' => {
                    let items = self.pop_mark()?;
                    self.extend_list(items)?;
                }
                b'}' => self.stack.push(Value::Dict(Rc::new(Seq {
                    items: Vec::new(),
                    depth: 1,
                }))),
                b'd' => {
                    let items = self.pop_mark()?;
                    self.stack.push(Value::Dict(Rc::new(Seq {
                        items: Vec::new(),
                        depth: 1,
                    })));
                    self.set_items(items)?;
                }
                b's' => {
                    let v = self.pop()?;
                    let k = self.pop()?;
                    self.set_items(vec![k, v])?;
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    self.set_items(items)?;
                }
                0x94 => {
                    let key = self.memo.len() as u64;
                    self.memo_put(key)?;
                }
                b'q' => {
                    let key = self.uint(1)?;
                    self.memo_put(key)?;
                }
                b'r' => {
                    let key = self.uint(4)?;
                    self.memo_put(key)?;
                }
                b'h' => {
                    let key = self.uint(1)?;
                    self.memo_get(key)?;
                }
                b'j' => {
                    let key = self.uint(4)?;
                    self.memo_get(key)?;
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    self.global(&module, &name, offset)?;
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    let (Value::Str(module), Value::Str(name)) = (module, name) else {
                        return self.malformed("STACK_GLOBAL needs two strings");
                    };
                    self.global(&module, &name, offset)?;
                }
                b'R' => {
                    let args = self.pop()?;
                    let callable = self.pop()?;
                    let v = self.reduce(callable, args)?;
                    self.stack.push(v);
                }
                b'b' => {
                    let state = self.pop()?;
                    let target = self.pop()?;
                    let v = self.build(target, state)?;
                    self.stack.push(v);
                }
                _ => return Err(PickleError::UnsupportedOpcode { opcode: op, offset }),
            }
        }
    }

    fn reduce(&self, callable: Value, args: Value) -> Result<Value, PickleError> {
        let Value::Global(g) = callable else {
            return self.malformed(format!("REDUCE applied to a {}", callable.type_name()));
        };
        let Some(args) = args.as_seq() else {
            return self.malformed("REDUCE needs an argument tuple");
        };
        match (g, args) {
            (Global::Reconstruct, [Value::Global(Global::NdarrayType), ..]) => {
                Ok(Value::EmptyArray)
            }
            (Global::DtypeType, [Value::Str(descr), ..]) => match Dtype::parse(descr) {
                Some(d) => Ok(Value::Dtype(d)),
                None => self.malformed(format!("dtype `{descr}` is not understood")),
            },
            (Global::CodecsEncode, [Value::Str(text), Value::Str(codec)])
                if codec.eq_ignore_ascii_case("latin1")
                    || codec.eq_ignore_ascii_case("latin-1") =>
            {
                let bytes: Option<Vec<u8>> = text.chars().map(|c| u8::try_from(c).ok()).collect();
                match bytes {
                    Some(b) => Ok(Value::Bytes(Rc::new(b))),
                    None => self.malformed("a latin-1 string holds a character above U+00FF"),
                }
            }
            (
                Global::FromBuffer,
                [Value::Bytes(data), Value::Dtype(dtype), shape, Value::Str(order)],
            ) => self.array(shape, dtype.clone(), order.as_ref() == "F", data.clone()),
            _ => self.malformed(format!("unexpected arguments for {g:?}")),
        }
    }

    fn build(&self, target: Value, state: Value) -> Result<Value, PickleError> {
        let Some(fields) = state.as_seq() else {
            return self.malformed("BUILD needs a state tuple");
        };
        match target {
            Value::Dtype(mut dtype) => {
                match fields.get(1) {
                    Some(Value::Str(order)) => dtype.big_endian = order.as_ref() == ">",
                    _ => return self.malformed("the dtype state has no byte order"),
                }
                Ok(Value::Dtype(dtype))
            }
            Value::EmptyArray => {
                // (version, shape, dtype, is_fortran, data), or the old form without version.
                let fields = match fields {
                    [Value::Int(_), rest @ ..] if rest.len() == 4 => rest,
                    f if f.len() == 4 => f,
                    _ => return self.malformed("the ndarray state is not a 4- or 5-tuple"),
                };
                let [shape, Value::Dtype(dtype), Value::Bool(fortran), data] = fields else {
                    return self.malformed("the ndarray state fields have the wrong types");
                };
                let Value::Bytes(data) = data else {
                    return self.malformed(format!(
                        "the ndarray data is a {}, not bytes (object arrays are not supported)",
                        data.type_name()
                    ));
                };
                self.array(shape, dtype.clone(), *fortran, data.clone())
            }
            other => self.malformed(format!("BUILD applied to a {}", other.type_name())),
        }
    }

    fn array(
        &self,
        shape: &Value,
        dtype: Dtype,
        fortran_order: bool,
        data: Rc<Vec<u8>>,
    ) -> Result<Value, PickleError> {
        let Some(dims) = shape.as_seq() else {
            return self.malformed("the ndarray shape is not a tuple");
        };
        let mut out = Vec::with_capacity(dims.len());
        for d in dims {
            match d {
                Value::Int(n) if *n >= 0 => out.push(*n as usize),
                _ => return self.malformed("an ndarray dimension is not a non-negative integer"),
            }
        }
        let expected = out
            .iter()
            .try_fold(dtype.size, |acc, &d| acc.checked_mul(d));
        if expected != Some(data.len()) {
            return self.malformed(format!(
                "an ndarray of shape {out:?} and dtype {} has {} data bytes",
                dtype.descr,
                data.len()
            ));
        }
        Ok(Value::Array(Rc::new(NdArray {
            shape: out,
            dtype,
            fortran_order,
            data,
        })))
    }
}
