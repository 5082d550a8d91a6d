/* Kernel objects: call a generated kernel on numpy arrays in one C call.
 *
 *   Kernel(address, dof, needs_dq, needs_u, shape, prepare, fail[, extra])
 *       (q, dq, p, out[, u]) -> ndarray
 *
 * The fast path accepts exactly what kernels read: native aligned float64 C-contiguous
 * arrays, q of shape (dof,) or (B, dof), dq and u of q's shape or None, p of shape (3,)
 * or None (the origin), out of the result shape or None (allocated here). Anything
 * else goes through the Python callable prepare(q, dq, p, out, u), which converts
 * or raises armjac's clear errors, and is then checked again. A kernel's
 * non-zero status (non-finite input or output) goes to fail(status, q, dq, u),
 * which raises. A kernel given extra numbers (an arm's adjustment) reads them after
 * the point: it is called with p = (point, extra). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <math.h>
#include <string.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

typedef int (*kernel_fn)(long, const double *, const double *, const double *, const double *,
                         double *);

typedef struct {
    PyObject_HEAD
    kernel_fn fn;
    npy_intp dof;
    int needs_dq;
    int needs_u;
    int nd;
    npy_intp shape[2];
    PyObject *prepare;
    PyObject *fail;
    double *extra;
    npy_intp nextra;
    vectorcallfunc vectorcall;
} Kernel;

static const double ORIGIN[3] = {0.0, 0.0, 0.0};

/* Native-byte-order, aligned, C-contiguous float64 (">f8" is NPY_DOUBLE too). */
static int is_f64c(PyObject *o) {
    if (!PyArray_CheckExact(o)) return 0;
    PyArrayObject *a = (PyArrayObject *)o;
    return PyArray_TYPE(a) == NPY_DOUBLE && PyArray_ISNOTSWAPPED(a) &&
           PyArray_IS_C_CONTIGUOUS(a) && PyArray_ISALIGNED(a);
}

/* A joint vector of q's shape (dq or u), or None when the kernel does not read it. */
static int joint_vector_ok(PyObject *x, int needed, int nq, npy_intp *dims) {
    if (x == Py_None) return !needed;
    if (!is_f64c(x)) return 0;
    PyArrayObject *a = (PyArrayObject *)x;
    return PyArray_NDIM(a) == nq && PyArray_CompareLists(PyArray_DIMS(a), dims, nq);
}

/* 1: usable as is; 0: needs prepare(). */
static int usable(Kernel *k, PyObject *q, PyObject *dq, PyObject *p, PyObject *out,
                  PyObject *u) {
    if (!is_f64c(q)) return 0;
    PyArrayObject *aq = (PyArrayObject *)q;
    int nq = PyArray_NDIM(aq);
    npy_intp *dq_dims = PyArray_DIMS(aq);
    if (!((nq == 1 && dq_dims[0] == k->dof) || (nq == 2 && dq_dims[1] == k->dof))) return 0;
    if (!joint_vector_ok(dq, k->needs_dq, nq, dq_dims)) return 0;
    if (!joint_vector_ok(u, k->needs_u, nq, dq_dims)) return 0;
    if (p != Py_None) {
        if (!(is_f64c(p) && PyArray_NDIM((PyArrayObject *)p) == 1 &&
              PyArray_DIM((PyArrayObject *)p, 0) == 3))
            return 0;
        const double *pt = (const double *)PyArray_DATA((PyArrayObject *)p);
        /* a non-finite point goes to prepare(), which names it */
        if (!(isfinite(pt[0]) && isfinite(pt[1]) && isfinite(pt[2]))) return 0;
    }
    if (out != Py_None) {
        if (!is_f64c(out) || !PyArray_ISWRITEABLE((PyArrayObject *)out)) return 0;
        PyArrayObject *ao = (PyArrayObject *)out;
        int lead = nq == 2;
        if (PyArray_NDIM(ao) != k->nd + lead) return 0;
        if (lead && PyArray_DIM(ao, 0) != dq_dims[0]) return 0;
        if (!PyArray_CompareLists(PyArray_DIMS(ao) + lead, k->shape, k->nd)) return 0;
    }
    return 1;
}

static int call(Kernel *k, long nb, const double *q, const double *dq, const double *u,
                const double *p, double *out) {
    if (k->nextra == 0) return k->fn(nb, q, dq, u, p, out);
    double buf[3 + k->nextra]; /* on the stack: no state shared between threads */
    memcpy(buf, p, 3 * sizeof(double));
    memcpy(buf + 3, k->extra, (size_t)k->nextra * sizeof(double));
    return k->fn(nb, q, dq, u, buf, out);
}

static PyObject *run(Kernel *k, PyObject *q, PyObject *dq, PyObject *p, PyObject *out,
                     PyObject *u) {
    PyArrayObject *aq = (PyArrayObject *)q;
    int batched = PyArray_NDIM(aq) == 2;
    npy_intp nb = batched ? PyArray_DIM(aq, 0) : 1;
    if (out == Py_None) {
        npy_intp dims[3];
        int nd = 0;
        if (batched) dims[nd++] = nb;
        for (int i = 0; i < k->nd; ++i) dims[nd++] = k->shape[i];
        out = PyArray_SimpleNew(nd, dims, NPY_DOUBLE);
        if (out == NULL) return NULL;
    } else {
        Py_INCREF(out);
    }
    const double *pp = p == Py_None ? ORIGIN : (const double *)PyArray_DATA((PyArrayObject *)p);
    const double *pdq = dq == Py_None ? NULL : (const double *)PyArray_DATA((PyArrayObject *)dq);
    const double *pu = u == Py_None ? NULL : (const double *)PyArray_DATA((PyArrayObject *)u);
    int rc = call(k, (long)nb, (const double *)PyArray_DATA(aq), pdq, pu, pp,
                  (double *)PyArray_DATA((PyArrayObject *)out));
    if (rc) {
        Py_DECREF(out);
        PyObject *r = PyObject_CallFunction(k->fail, "iOOO", rc, q, dq, u);
        Py_XDECREF(r);
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "kernel failed");
        return NULL;
    }
    return out;
}

static PyObject *kernel_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf,
                                   PyObject *kwnames) {
    Kernel *k = (Kernel *)self;
    Py_ssize_t n = PyVectorcall_NARGS(nargsf);
    if ((n != 4 && n != 5) || kwnames != NULL) {
        PyErr_SetString(PyExc_TypeError, "kernel(q, dq, p, out[, u]) takes 4 or 5 positional arguments");
        return NULL;
    }
    PyObject *u = n == 5 ? args[4] : Py_None;
    if (usable(k, args[0], args[1], args[2], args[3], u))
        return run(k, args[0], args[1], args[2], args[3], u);
    PyObject *fixed = PyObject_CallFunctionObjArgs(k->prepare, args[0], args[1], args[2],
                                                   args[3], u, NULL);
    if (fixed == NULL) return NULL;
    if (!PyTuple_Check(fixed) || PyTuple_GET_SIZE(fixed) != 5 ||
        !usable(k, PyTuple_GET_ITEM(fixed, 0), PyTuple_GET_ITEM(fixed, 1),
                PyTuple_GET_ITEM(fixed, 2), PyTuple_GET_ITEM(fixed, 3),
                PyTuple_GET_ITEM(fixed, 4))) {
        Py_DECREF(fixed);
        PyErr_SetString(PyExc_RuntimeError, "kernel argument preparation returned bad arrays");
        return NULL;
    }
    PyObject *r = run(k, PyTuple_GET_ITEM(fixed, 0), PyTuple_GET_ITEM(fixed, 1),
                      PyTuple_GET_ITEM(fixed, 2), PyTuple_GET_ITEM(fixed, 3),
                      PyTuple_GET_ITEM(fixed, 4));
    Py_DECREF(fixed);
    return r;
}

static int kernel_init(PyObject *self, PyObject *args, PyObject *kw) {
    Kernel *k = (Kernel *)self;
    PyObject *addr, *shape, *prepare, *fail, *extra = Py_None;
    Py_ssize_t dof;
    int needs_dq, needs_u;
    if (!PyArg_ParseTuple(args, "OnppOOO|O", &addr, &dof, &needs_dq, &needs_u, &shape, &prepare,
                          &fail, &extra))
        return -1;
    if (extra != Py_None) {
        PyArrayObject *a = (PyArrayObject *)PyArray_FROMANY(
            extra, NPY_DOUBLE, 1, 1, NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED);
        if (a == NULL) return -1;
        npy_intp n = PyArray_DIM(a, 0);
        double *copy = PyMem_Malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
        if (copy == NULL) {
            Py_DECREF(a);
            PyErr_NoMemory();
            return -1;
        }
        memcpy(copy, PyArray_DATA(a), (size_t)n * sizeof(double));
        Py_DECREF(a);
        PyMem_Free(k->extra);
        k->extra = copy;
        k->nextra = n;
    }
    k->needs_dq = needs_dq;
    k->needs_u = needs_u;
    k->fn = (kernel_fn)PyLong_AsVoidPtr(addr);
    if (PyErr_Occurred()) return -1;
    if (!PyTuple_Check(shape) || PyTuple_GET_SIZE(shape) < 1 || PyTuple_GET_SIZE(shape) > 2) {
        PyErr_SetString(PyExc_ValueError, "shape must be a tuple of 1 or 2 ints");
        return -1;
    }
    k->nd = (int)PyTuple_GET_SIZE(shape);
    for (int i = 0; i < k->nd; ++i) {
        k->shape[i] = PyLong_AsSsize_t(PyTuple_GET_ITEM(shape, i));
        if (PyErr_Occurred()) return -1;
    }
    k->dof = dof;
    Py_INCREF(prepare);
    Py_XSETREF(k->prepare, prepare);
    Py_INCREF(fail);
    Py_XSETREF(k->fail, fail);
    k->vectorcall = kernel_vectorcall;
    return 0;
}

static void kernel_dealloc(PyObject *self) {
    Kernel *k = (Kernel *)self;
    Py_XDECREF(k->prepare);
    Py_XDECREF(k->fail);
    PyMem_Free(k->extra);
    Py_TYPE(self)->tp_free(self);
}

static PyTypeObject KernelType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "armjac_dispatch.Kernel",
    .tp_basicsize = sizeof(Kernel),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_vectorcall_offset = offsetof(Kernel, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_new = PyType_GenericNew,
    .tp_init = kernel_init,
    .tp_dealloc = kernel_dealloc,
    .tp_doc = "A generated kernel called on numpy arrays.",
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "armjac_dispatch", NULL, -1, NULL};

PyMODINIT_FUNC PyInit_armjac_dispatch(void) {
    import_array();
    if (PyType_Ready(&KernelType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&KernelType);
    if (PyModule_AddObject(m, "Kernel", (PyObject *)&KernelType) < 0) {
        Py_DECREF(&KernelType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
