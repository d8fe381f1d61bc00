# ---------------------------------------------------------------------------------------------
# Support code, the same in every module gradgen exports: registering the parameters under
# gradgen's names, and reading and writing safetensors files.


def _attach(root, path, module):
    """Registers module at the dotted path below root (plain nn.Module containers for the parts
    before its last), so that its parameters' state_dict names start with path. A part that is
    also an attribute of nn.Module (train, type, ...) is registered all the same: the code
    reaches every submodule through _modules, never as an attribute."""
    *parents, name = path.split(".")
    for part in parents:
        if part not in root._modules:
            _add_module(root, part, nn.Module())
        root = root._modules[part]
    _add_module(root, name, module)
    return module


def _add_module(root, name, module):
    if hasattr(root, name) and name not in root._modules:
        root._modules[name] = module  # add_module refuses a name nn.Module has as an attribute
    else:
        root.add_module(name, module)


def _param(root, path, tensor, trainable=True):
    """Registers tensor as the parameter named by the dotted path below root, making containers
    for the parts before its last."""
    *parents, name = path.split(".")
    for part in parents:
        if part not in root._modules:
            _add_module(root, part, nn.Module())
        root = root._modules[part]
    p = nn.Parameter(tensor, requires_grad=trainable)
    if hasattr(root, name) and name not in root._parameters:
        root._parameters[name] = p
    else:
        root.register_parameter(name, p)
    return p


def _module(root, path):
    """The submodule at the dotted path below root."""
    for part in path.split("."):
        root = root._modules[part]
    return root


def _get(root, path):
    """The parameter named by the dotted path below root."""
    *parents, name = path.split(".")
    for part in parents:
        root = root._modules[part]
    return root._parameters[name]


def _uniform(shape, fan_in):
    """nn.Linear's initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
    return torch.empty(shape, dtype=DTYPE).uniform_(-bound, bound)


def _unwrap(module):
    """The module inside DistributedDataParallel or DataParallel, else module."""
    if isinstance(module, (nn.parallel.DistributedDataParallel, nn.DataParallel)):
        return module.module
    return module


def load_safetensors(path):
    """The tensors of the safetensors file at path, by name, as safetensors.torch.load_file reads
    them (with the safetensors package when it is installed, else with the reader below).
    net.load_state_dict(load_safetensors(path)) loads parameters that gradgen's
    safetensors.SaveParams or save_safetensors wrote; load_params also checks the dtypes."""
    if _safetensors is not None:
        return _safetensors.load_file(path)
    return _read_safetensors(path)


def save_safetensors(module, path):
    """Writes the parameters of module (a Net, or one wrapped in DistributedDataParallel) to path
    as gradgen's safetensors.SaveParams does: its state_dict names, F32 or F64 and the metadata
    {"format": "pt"}; gradgen's safetensors.LoadParams and the generated LoadParams read it."""
    tensors = {k: v.detach().cpu().contiguous() for k, v in _unwrap(module).state_dict().items()}
    if _safetensors is not None:
        _safetensors.save_file(tensors, path, metadata={"format": "pt"})
    else:
        _write_safetensors(tensors, path, {"format": "pt"})


def load_params(module, path):
    """Loads the safetensors file at path into module, as strictly as gradgen's LoadParams: the
    file must hold exactly the module's tensors, each of its shape and dtype (load_state_dict
    alone would convert float64 to float32 silently)."""
    module = _unwrap(module)
    tensors = load_safetensors(path)
    want = module.state_dict()
    missing = [k for k in want if k not in tensors]
    extra = sorted(k for k in tensors if k not in want)
    if missing or extra:
        raise ValueError("%s: the file lacks %s and holds %s the module does not have" % (path, missing, extra))
    for k, v in want.items():
        t = tensors[k]
        if t.dtype != v.dtype or tuple(t.shape) != tuple(v.shape):
            raise ValueError("%s: tensor %r is %s %s, but the module's is %s %s" % (
                path, k, t.dtype, list(t.shape), v.dtype, list(v.shape)))
    module.load_state_dict(tensors, strict=True)


# The dtypes the reader and writer below know: safetensors' name, torch's dtype, the array
# module's typecode of the same size.
_DTYPES = {"F32": (torch.float32, "f"), "F64": (torch.float64, "d")}
_MAX_HEADER = 100_000_000


def _read_safetensors(path):
    """A minimal safetensors reader (the format: an 8-byte little-endian header length N, N bytes
    of JSON, {name: {"dtype", "shape", "data_offsets"}, "__metadata__": {...}}, then the data,
    little-endian and row-major), for F32 and F64 tensors; it checks what the reference
    implementation checks."""
    with open(path, "rb") as f:
        data = f.read()

    def bad(why):
        return ValueError("safetensors %s: %s" % (path, why))

    if len(data) < 8:
        raise bad("the file is %d bytes, too short for the header size" % len(data))
    n = int.from_bytes(data[:8], "little")
    if n > _MAX_HEADER or n > len(data) - 8:
        raise bad("header size %d does not fit in the %d-byte file" % (n, len(data)))

    def no_duplicates(pairs):
        d = {}
        for k, v in pairs:
            if k in d:
                raise bad("the header has %r twice" % k)
            d[k] = v
        return d

    try:
        header = json.loads(data[8:8 + n].decode("utf-8"), object_pairs_hook=no_duplicates)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise bad("the header is not JSON: %s" % e)
    if not isinstance(header, dict):
        raise bad("the header is not a JSON object")
    buf = memoryview(data)[8 + n:]
    entries = []
    for name, e in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(e, dict) or set(e) != {"dtype", "shape", "data_offsets"}:
            raise bad("tensor %r: want exactly dtype, shape and data_offsets" % name)
        if e["dtype"] not in _DTYPES:
            raise bad("tensor %r is %s; this reader knows %s (pip install safetensors for others)" % (
                name, e["dtype"], ", ".join(_DTYPES)))
        shape, off = e["shape"], e["data_offsets"]
        if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
            raise bad("tensor %r: shape %r" % (name, shape))
        if not (isinstance(off, list) and len(off) == 2 and all(isinstance(d, int) for d in off)
                and 0 <= off[0] <= off[1] <= len(buf)):
            raise bad("tensor %r: data_offsets %r outside the %d-byte data" % (name, off, len(buf)))
        dtype, code = _DTYPES[e["dtype"]]
        count = math.prod(shape)
        if off[1] - off[0] != count * array.array(code).itemsize:
            raise bad("tensor %r: %s %s does not take the %d bytes of data_offsets %r" % (
                name, e["dtype"], shape, off[1] - off[0], off))
        entries.append((off[0], off[1], name, dtype, code, shape))
    entries.sort()
    pos, tensors = 0, {}
    for begin, end, name, dtype, code, shape in entries:
        if begin != pos:
            raise bad("tensor %r: data_offsets overlap or leave a hole at byte %d" % (name, pos))
        pos = end
        a = array.array(code)
        a.frombytes(buf[begin:end])
        if sys.byteorder != "little":
            a.byteswap()
        t = torch.frombuffer(a, dtype=dtype).clone() if len(a) else torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(shape)
    if pos != len(buf):
        raise bad("the data has %d bytes after the last tensor" % (len(buf) - pos))
    return tensors


def _json_string(s):
    # As gradgen's writer (Go's encoding/json without HTML escaping) writes a string.
    return json.dumps(s, ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _write_safetensors(tensors, path, metadata):
    """A minimal safetensors writer for F32 and F64 tensors, writing the bytes gradgen's writer
    (and the reference one) writes: the metadata first, then the tensors by descending element
    size and then by name, the header padded with spaces to a multiple of 8 bytes. It writes a
    temporary file beside path and renames it."""
    kinds = {dtype: (name, code) for name, (dtype, code) in _DTYPES.items()}
    items = []
    for name, t in tensors.items():
        if t.dtype not in kinds:
            raise ValueError("safetensors %s: tensor %r is %s; this writer knows float32 and float64" % (path, name, t.dtype))
        dname, code = kinds[t.dtype]
        items.append((-array.array(code).itemsize, name, dname, code, t))
    items.sort(key=lambda it: (it[0], it[1]))
    parts, blobs, offset = [], [], 0
    if metadata:
        parts.append('"__metadata__":{%s}' % ",".join(
            "%s:%s" % (_json_string(k), _json_string(metadata[k])) for k in sorted(metadata)))
    for _, name, dname, code, t in items:
        a = array.array(code, t.reshape(-1).tolist())
        if sys.byteorder != "little":
            a.byteswap()
        blob = a.tobytes()
        parts.append('%s:{"dtype":"%s","shape":[%s],"data_offsets":[%d,%d]}' % (
            _json_string(name), dname, ",".join(str(d) for d in t.shape), offset, offset + len(blob)))
        blobs.append(blob)
        offset += len(blob)
    head = ("{" + ",".join(parts) + "}").encode("utf-8")
    head += b" " * (-len(head) % 8)
    tmp = "%s.tmp%d" % (path, os.getpid())
    try:
        with open(tmp, "wb") as f:
            f.write(len(head).to_bytes(8, "little"))
            f.write(head)
            for blob in blobs:
                f.write(blob)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
