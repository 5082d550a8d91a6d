/* Calls a generated kernel on numpy arrays with one C call and no ctypes
 * marshalling: call(fn_address, nb, q, dq_or_None, p, out) -> int status.
 * Arrays must be C-contiguous float64 (the Python side guarantees it). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

typedef int (*kernel_fn)(long, const double *, const double *, const double *, double *);

static PyObject *call(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "call(fn, nb, q, dq, p, out) takes 6 arguments");
        return NULL;
    }
    kernel_fn fn = (kernel_fn)PyLong_AsVoidPtr(args[0]);
    long nb = PyLong_AsLong(args[1]);
    if (PyErr_Occurred()) return NULL;
    Py_buffer bq, bdq, bp, bo;
    int have_dq = args[3] != Py_None;
    if (PyObject_GetBuffer(args[2], &bq, PyBUF_SIMPLE) < 0) return NULL;
    if (have_dq && PyObject_GetBuffer(args[3], &bdq, PyBUF_SIMPLE) < 0) goto fail_q;
    if (PyObject_GetBuffer(args[4], &bp, PyBUF_SIMPLE) < 0) goto fail_dq;
    if (PyObject_GetBuffer(args[5], &bo, PyBUF_WRITABLE) < 0) goto fail_p;
    int rc = fn(nb, (const double *)bq.buf, have_dq ? (const double *)bdq.buf : NULL,
                (const double *)bp.buf, (double *)bo.buf);
    PyBuffer_Release(&bo);
    PyBuffer_Release(&bp);
    if (have_dq) PyBuffer_Release(&bdq);
    PyBuffer_Release(&bq);
    return PyLong_FromLong(rc);
fail_p:
    PyBuffer_Release(&bp);
fail_dq:
    if (have_dq) PyBuffer_Release(&bdq);
fail_q:
    PyBuffer_Release(&bq);
    return NULL;
}

static PyMethodDef methods[] = {
    {"call", (PyCFunction)(void (*)(void))call, METH_FASTCALL, "Run a generated kernel."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "armjac_dispatch", NULL, -1, methods};

PyMODINIT_FUNC PyInit_armjac_dispatch(void) { return PyModule_Create(&module); }
