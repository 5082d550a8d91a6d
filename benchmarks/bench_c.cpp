// armjac's exported C and its cached kernels against Pinocchio's C++ algorithms, timed
// in one program (built and run by benchmarks/bench_c.py; not a test).
//
//   bench_c NAME URDF EE_LINK KERNELS.so JAC_SYMBOL JOINT...
//
// NAME picks one of the exported arms in the table APIS (armjac_apis.c, written by
// bench_c.py); they are called through its function pointers, Pinocchio directly. The
// table lives in C so this file (about 100 s to compile) does not depend on the exports.
//
// Every quantity is timed in blocks of BLOCK calls over 64 random configurations, the
// two libraries' blocks interleaved, and the median block is reported in ns per call.
#include <dlfcn.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "pinocchio/algorithm/aba.hpp"
#include "pinocchio/algorithm/cholesky.hpp"
#include "pinocchio/algorithm/crba.hpp"
#include "pinocchio/algorithm/frames.hpp"
#include "pinocchio/algorithm/jacobian.hpp"
#include "pinocchio/algorithm/joint-configuration.hpp"
#include "pinocchio/algorithm/kinematics.hpp"
#include "pinocchio/algorithm/model.hpp"
#include "pinocchio/algorithm/rnea.hpp"
#include "pinocchio/parsers/urdf.hpp"

extern "C" {
struct Api {
  const char *name;
  int dof;
  int (*fk)(const double *, double *);
  int (*jacobian)(const double *, const double *, double *);
  int (*mass_matrix)(const double *, double *);
  int (*gravity)(const double *, double *);
  int (*nonlinear_effects)(const double *, const double *, double *);
  int (*inverse_dynamics)(const double *, const double *, const double *, double *);
  int (*forward_dynamics)(const double *, const double *, const double *, double *);
};
extern const struct Api APIS[];
extern const int NAPIS;
}

static const int BLOCK = 256, BLOCKS = 51, NQ = 64;
static volatile double sink;

static double now_ns() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

// median ns per call of a() and b(), their blocks interleaved
static std::pair<double, double> race(const std::function<void(int)> &a,
                                      const std::function<void(int)> &b) {
  std::vector<double> ta, tb;
  for (int r = 0; r < BLOCKS; ++r) {
    for (int side = 0; side < 2; ++side) {
      const auto &f = side ? b : a;
      if (!f) continue;
      double t0 = now_ns();
      for (int i = 0; i < BLOCK; ++i) f(i % NQ);
      (side ? tb : ta).push_back((now_ns() - t0) / BLOCK);
    }
  }
  auto med = [](std::vector<double> v) {
    if (v.empty()) return -1.0;
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  return {med(ta), med(tb)};
}

typedef int (*kernel_fn)(long, const double *, const double *, const double *, const double *,
                         double *);

int main(int argc, char **argv) {
  if (argc < 7) return 2;
  const Api *api = nullptr;
  for (int i = 0; i < NAPIS; ++i)
    if (APIS[i].name == std::string(argv[1])) api = &APIS[i];
  if (api == nullptr) return 4;
  const std::string urdf = argv[2], ee = argv[3];
  std::vector<std::string> joints(argv + 6, argv + argc);
  const int n = api->dof;
  if ((int)joints.size() != n) return 3;

  pinocchio::Model full;
  pinocchio::urdf::buildModel(urdf, full);
  // lock every joint that is not in armjac's chain (the Panda's fingers) at zero
  std::vector<pinocchio::JointIndex> lock;
  for (pinocchio::JointIndex j = 1; j < (pinocchio::JointIndex)full.njoints; ++j)
    if (std::find(joints.begin(), joints.end(), full.names[j]) == joints.end()) lock.push_back(j);
  pinocchio::Model model =
      pinocchio::buildReducedModel(full, lock, pinocchio::neutral(full));
  pinocchio::Data data(model);
  const auto fid = model.getFrameId(ee);
  std::vector<int> at(n);
  for (int i = 0; i < n; ++i) at[i] = model.joints[model.getJointId(joints[i])].idx_q();

  std::mt19937 gen(0);
  std::uniform_real_distribution<double> uni(-1.0, 1.0);
  std::vector<double> qs(NQ * n), dqs(NQ * n), us(NQ * n);
  std::vector<Eigen::VectorXd> pq(NQ), pv(NQ), pu(NQ);
  for (int k = 0; k < NQ; ++k) {
    pq[k] = pv[k] = pu[k] = Eigen::VectorXd::Zero(model.nv);
    for (int i = 0; i < n; ++i) {
      qs[k * n + i] = 2.0 * uni(gen);
      dqs[k * n + i] = uni(gen);
      us[k * n + i] = 5.0 * uni(gen);
      pq[k][at[i]] = qs[k * n + i];
      pv[k][at[i]] = dqs[k * n + i];
      pu[k][at[i]] = us[k * n + i];
    }
  }
  std::vector<double> out(6 * n * n + 16);
  Eigen::MatrixXd J = Eigen::MatrixXd::Zero(6, model.nv);

  // agreement at one configuration (M: Pinocchio fills the upper triangle)
  double err = 0.0;
  api->jacobian(&qs[0], nullptr, out.data());
  pinocchio::computeFrameJacobian(model, data, pq[0], fid, pinocchio::LOCAL_WORLD_ALIGNED, J);
  for (int r = 0; r < 6; ++r)
    for (int i = 0; i < n; ++i) err = std::max(err, std::abs(out[r * n + i] - J(r, at[i])));
  api->inverse_dynamics(&qs[0], &dqs[0], &us[0], out.data());
  pinocchio::rnea(model, data, pq[0], pv[0], pu[0]);
  for (int i = 0; i < n; ++i) err = std::max(err, std::abs(out[i] - data.tau[at[i]]));
  api->forward_dynamics(&qs[0], &dqs[0], &us[0], out.data());
  pinocchio::aba(model, data, pq[0], pv[0], pu[0]);
  for (int i = 0; i < n; ++i) err = std::max(err, std::abs(out[i] - data.ddq[at[i]]));
  std::printf("agreement max|armjac - pinocchio| (J, tau, qdd) %.3g\n", err);

  void *lib = dlopen(argv[4], RTLD_NOW);
  kernel_fn kjac = lib ? (kernel_fn)dlsym(lib, argv[5]) : nullptr;
  const double origin[3] = {0, 0, 0};

  struct Row {
    const char *what;
    std::function<void(int)> ours, theirs;
  };
  const double *q = qs.data(), *dq = dqs.data(), *u = us.data();
  double *o = out.data();
  std::vector<Row> rows = {
      {"J (world) | computeFrameJacobian LOCAL_WORLD_ALIGNED",
       [&](int k) { api->jacobian(q + k * n, nullptr, o); sink = o[0]; },
       [&](int k) {
         pinocchio::computeFrameJacobian(model, data, pq[k], fid, pinocchio::LOCAL_WORLD_ALIGNED, J);
         sink = J(0, 0);
       }},
      {"FK | forwardKinematics + updateFramePlacement",
       [&](int k) { api->fk(q + k * n, o); sink = o[3]; },
       [&](int k) {
         pinocchio::forwardKinematics(model, data, pq[k]);
         sink = pinocchio::updateFramePlacement(model, data, fid).translation()[0];
       }},
      {"M | crba", [&](int k) { api->mass_matrix(q + k * n, o); sink = o[0]; },
       [&](int k) { sink = pinocchio::crba(model, data, pq[k])(0, 0); }},
      {"g | computeGeneralizedGravity", [&](int k) { api->gravity(q + k * n, o); sink = o[0]; },
       [&](int k) { sink = pinocchio::computeGeneralizedGravity(model, data, pq[k])[0]; }},
      {"C dq + g | nonLinearEffects",
       [&](int k) { api->nonlinear_effects(q + k * n, dq + k * n, o); sink = o[0]; },
       [&](int k) { sink = pinocchio::nonLinearEffects(model, data, pq[k], pv[k])[0]; }},
      {"inverse dynamics | rnea",
       [&](int k) { api->inverse_dynamics(q + k * n, dq + k * n, u + k * n, o); sink = o[0]; },
       [&](int k) { sink = pinocchio::rnea(model, data, pq[k], pv[k], pu[k])[0]; }},
      {"forward dynamics | aba",
       [&](int k) { api->forward_dynamics(q + k * n, dq + k * n, u + k * n, o); sink = o[0]; },
       [&](int k) { sink = pinocchio::aba(model, data, pq[k], pv[k], pu[k])[0]; }},
      {"forward dynamics | crba + nle + Cholesky (Pinocchio)",
       nullptr,
       [&](int k) {
         pinocchio::crba(model, data, pq[k]);
         pinocchio::nonLinearEffects(model, data, pq[k], pv[k]);
         pinocchio::cholesky::decompose(model, data);
         Eigen::VectorXd x = pu[k] - data.nle;
         pinocchio::cholesky::solve(model, data, x);
         sink = x[0];
       }},
  };
  if (kjac) {
    rows.push_back({"J, armjac cached kernel, single call | computeFrameJacobian",
                    [&](int k) { kjac(1, q + k * n, nullptr, nullptr, origin, o); sink = o[0]; },
                    nullptr});
  }
  for (const auto &row : rows) {
    auto t = race(row.ours, row.theirs);
    std::printf("ROW\t%s\t%.1f\t%.1f\n", row.what, t.first, t.second);
  }
  if (kjac) {  // one batch of 10,000 configurations, median of 25
    const int B = 10000;
    std::vector<double> bq(B * n), bout(B * 6 * n);
    for (int i = 0; i < B * n; ++i) bq[i] = 2.0 * uni(gen);
    std::vector<double> per;
    for (int r = 0; r < 25; ++r) {
      double t0 = now_ns();
      kjac(B, bq.data(), nullptr, nullptr, origin, bout.data());
      per.push_back((now_ns() - t0) / B);
    }
    std::nth_element(per.begin(), per.begin() + 12, per.end());
    std::printf("ROW\tJ, armjac cached kernel, batch of 10,000 (per configuration)\t%.1f\t-1\n",
                per[12]);
  }
  return 0;
}
