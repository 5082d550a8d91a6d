"""The MuJoCo engine of :class:`~armjac.sim.arm_sim.ArmSim`.

The arm comes from :func:`~armjac.sim.mujoco_model.load_spec` (the URDF's
inertias, links not fused, joint damping ``joint_damping``, no armature). Joint
torques go into ``qfrc_applied``, pushes into ``xfrc_applied``; movable joints
off the chain (the Panda's fingers) are removed, which welds their links at
the joint's zero, where the analytic chain holds them. The arm does not collide
with itself (neither does PyBullet's by default).

MuJoCo compiles a world before it runs, so a table, a payload, a marker or a
sensor is added to the spec and the model recompiled with the state kept
(``MjSpec.recompile``). Body ids change when the tree changes, so the ids this
engine returns are its own handles.

Timing: ``mj_step`` computes contacts, constraint forces and sensors at the
state before it integrates. After each step the kinematics are recomputed
(``mj_kinematics``), so poses match the new joint state, while contact forces
and the F/T sensor report what acted during the step just taken, as PyBullet's
do.

Contacts use elliptic friction cones, :data:`CONTACT_SOLREF` and
:data:`CONTACT_SOLIMP` (set on the boxes, which have priority over the arm's
geoms) and a friction coefficient of the box's ``friction`` times
:data:`~armjac.sim.arm_sim.LINK_FRICTION`, the coefficient PyBullet's product
rule gives. Between the end-effector body and a box, an explicit contact pair
adds :data:`FRICTION_SOLREF`: with MuJoCo's default (the normal's time
constant) a tool sliding under load chatters on and off the surface
(measured on the press scenario: contact lost in 1022 of 5000 steps, force
RMSE 11.8 N); with a slower friction constraint the sliding friction is still
Coulomb's (friction / normal force 0.150 while sliding, as on PyBullet) and the
contact holds. See docs/simulation.md.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from armjac.errors import ConfigError, InputError, SimulationError
from armjac.sim.arm_sim import LINK_FRICTION, ArmSim, Push, compliance
from armjac.sim.mujoco_model import chain_addresses, load_spec, mujoco, restore_inertias

# Contact softness: MuJoCo's time constant (s) and damping ratio of the contact
# spring, and its impedance curve. See docs/simulation.md for how they were chosen.
CONTACT_SOLREF = (0.005, 1.0)
CONTACT_SOLIMP = (0.95, 0.99, 0.001, 0.5, 2.0)
FRICTION_SOLREF = (1.0, 1.0)  # the friction constraint's (elliptic cones only)
_SPRING_IMPEDANCE = 0.9  # constant impedance of a compliant box's contacts (see _spring)
ARM_GROUP, WORLD_GROUP = 1, 2  # contype/conaffinity bits: the arm touches the world only


class MujocoSim(ArmSim):
    """:class:`~armjac.sim.arm_sim.ArmSim` on MuJoCo (``ArmSim(arm, engine="mujoco")``).

    Attributes
    ----------
    model, data : mujoco.MjModel, mujoco.MjData
        The compiled world and its state (None when disconnected); rebuilt when
        something is added to the world.
    missing_meshes : list of str
        Collision meshes the URDF names that are not on disk (without PyBullet's
        ``pybullet_data`` the bundled arms have none: contacts are then refused).
    """

    engine = "mujoco"
    model = None
    data = None
    _viewer = None

    def _check_settings(self) -> None:
        if self.link_damping:
            raise ConfigError(
                f"link_damping={self.link_damping:g}: the mujoco engine has no link damping "
                "(PyBullet only); use joint_damping"
            )

    # -- lifecycle ------------------------------------------------------------------
    def _start(self) -> None:
        loaded = load_spec(self.arm, self.joint_damping)
        spec = loaded.spec
        self.missing_meshes = loaded.missing_meshes
        self._balanced = loaded.balanced
        spec.option.timestep = self.dt
        chain = set(self.arm.joint_names)
        held = {j.name for j in spec.joints if j.name not in chain}
        for eq in [e for e in spec.equalities if {e.name1, e.name2} & held]:
            spec.delete(eq)  # a URDF <mimic> between joints that no longer move
        for joint in [j for j in spec.joints if j.name in held]:
            spec.delete(joint)  # held at zero, as the analytic chain assumes
        for i, geom in enumerate(spec.geoms):
            geom.contype, geom.conaffinity = ARM_GROUP, 0
            geom.friction = [LINK_FRICTION, 0.0, 0.0]
            geom.name = geom.name or f"armjac_arm_geom_{i}"  # for contact pairs
        spec.option.cone = mujoco.mjtCone.mjCONE_ELLIPTIC
        self.spec = spec
        self._handles: dict[int, str] = {}  # handle -> body name
        self._sensors: dict[str, tuple[str, str]] = {}
        self._contacts: list[tuple[int, int, np.ndarray]] = []
        self._pushing = False
        self.model = spec.compile()
        self.data = mujoco.MjData(self.model)
        self._index()

    def _recompile(self) -> None:
        """Rebuild the model after the spec changed, keeping the state."""
        self.model, self.data = self.spec.recompile(self.model, self.data)
        self._index()
        mujoco.mj_forward(self.model, self.data)
        if self._viewer is not None:
            self._viewer.close()
            self._viewer = None

    def _index(self) -> None:
        m = self.model
        restore_inertias(m, self._balanced)
        self._qadr, self._vadr = chain_addresses(m, self.arm)
        self.ee_body = m.body(self.arm.ee_link).id
        # Contacts count on the rigid body carrying the end effector: climb bodies
        # without joints to the last chain link, then take everything below it.
        root = self.ee_body
        while root > 0 and m.body_jntnum[root] == 0:
            root = int(m.body_parentid[root])
        below = {root}
        for b in range(root + 1, m.nbody):
            if m.body_parentid[b] in below:
                below.add(b)
        self.contact_bodies = below
        if self.gui and self._viewer is None:
            import mujoco.viewer

            self._viewer = mujoco.viewer.launch_passive(m, self.data)

    def _stop(self) -> None:
        if getattr(self, "_renderer", None) is not None:
            self._renderer.close()
            self._renderer = None
        if self._viewer is not None:
            self._viewer.close()
            self._viewer = None
        self.model = self.data = None

    @property
    def connected(self) -> bool:
        """Whether the world is loaded (False after :meth:`disconnect`)."""
        return self.data is not None

    # -- state ----------------------------------------------------------------------
    def _set_joints(self, q: np.ndarray, dq: np.ndarray) -> None:
        d = self.data
        d.qpos[:] = 0.0
        d.qvel[:] = 0.0
        d.qpos[self._qadr] = q
        d.qvel[self._vadr] = dq
        d.qfrc_applied[:] = 0.0
        d.xfrc_applied[:] = 0.0
        mujoco.mj_forward(self.model, d)
        self._contacts = []

    def _read_state(self) -> None:
        d = self.data
        self._q, self._dq = d.qpos[self._qadr].copy(), d.qvel[self._vadr].copy()

    def _step(self, u: np.ndarray, pushes: Sequence[Push]) -> None:
        m, d = self.model, self.data
        d.qfrc_applied[self._vadr] = u
        if pushes or self._pushing:
            d.xfrc_applied[self.ee_body] = 0.0
            for p in pushes:
                at = d.xpos[self.ee_body] + p.point
                d.xfrc_applied[self.ee_body, :3] += p.force
                # xfrc_applied acts at the body's centre of mass: add the force's moment.
                d.xfrc_applied[self.ee_body, 3:] += np.cross(at - d.xipos[self.ee_body], p.force)
            self._pushing = bool(pushes)
        mujoco.mj_step(m, d)
        self._contacts = self._contact_forces() if d.ncon else []
        mujoco.mj_kinematics(m, d)  # poses at the new state
        if self._viewer is not None:
            self._viewer.sync()

    def _contact_forces(self) -> list[tuple[int, int, np.ndarray]]:
        """(arm body, other body, world force on the arm body) of each contact point
        touching the end-effector body during the step just taken."""
        m, d = self.model, self.data
        out, f6 = [], np.zeros(6)
        for i in range(d.ncon):
            c = d.contact[i]
            b1, b2 = int(m.geom_bodyid[c.geom1]), int(m.geom_bodyid[c.geom2])
            if b1 not in self.contact_bodies and b2 not in self.contact_bodies:
                continue
            mujoco.mj_contactForce(m, d, i, f6)
            # In the contact frame (normal from geom1 to geom2 first): the force on geom2.
            on_2 = c.frame.reshape(3, 3).T @ f6[:3]
            out.append((b2, b1, on_2) if b2 in self.contact_bodies else (b1, b2, -on_2))
        return out

    # -- end effector and sensors ---------------------------------------------------
    def ee_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """World position (3,) and orientation quaternion (4,) xyzw of the EE link frame."""
        self._require()
        d, b = self.data, self.ee_body
        wxyz = d.xquat[b]
        return d.xpos[b].copy(), np.array([wxyz[1], wxyz[2], wxyz[3], wxyz[0]])

    def ee_velocity(self) -> tuple[np.ndarray, np.ndarray]:
        """World linear velocity of the EE link frame origin (3,) and angular velocity (3,)."""
        self._require()
        m, d = self.model, self.data
        mujoco.mj_comPos(m, d)  # the Jacobian's inputs at the current state
        lin, ang = np.zeros((3, m.nv)), np.zeros((3, m.nv))
        mujoco.mj_jac(m, d, lin, ang, d.xpos[self.ee_body], self.ee_body)
        return lin @ d.qvel, ang @ d.qvel

    def _other_bodies(self, other: int | None) -> set[int] | None:
        if other is None:
            return None
        return {self.model.body(self._handle(other, "body")).id}

    def _check_contacts(self) -> None:
        if self.missing_meshes:
            raise SimulationError(
                f"{self.arm.name} has no collision shapes on mujoco: its URDF's meshes are "
                f"not on disk ({self.missing_meshes[0]}, ...); install PyBullet's "
                "pybullet_data (pip install 'armjac[sim]') or use a URDF with its meshes"
            )

    def contact_force(self, other: int | None = None) -> np.ndarray:  # noqa: D102
        self._require()
        self._check_contacts()
        others = self._other_bodies(other)
        total = np.zeros(3)
        for _, body, force in self._contacts:
            if others is None or body in others:
                total += force
        return total

    def contact_depth(self, other: int | None = None) -> float:  # noqa: D102
        self._require()
        others = self._other_bodies(other)
        m, d = self.model, self.data
        depths = []
        for i in range(d.ncon):
            con = d.contact[i]
            b1, b2 = int(m.geom_bodyid[con.geom1]), int(m.geom_bodyid[con.geom2])
            arm, rest = (b1, b2) if b1 in self.contact_bodies else (b2, b1)
            if arm in self.contact_bodies and (others is None or rest in others):
                depths.append(-float(con.dist))
        return max(0.0, sum(depths) / len(depths)) if depths else 0.0

    def in_contact(self, other: int | None = None) -> bool:  # noqa: D102
        self._require()
        self._check_contacts()
        others = self._other_bodies(other)
        m, d = self.model, self.data
        for i in range(d.ncon):  # the current state's contacts
            c = d.contact[i]
            b1, b2 = int(m.geom_bodyid[c.geom1]), int(m.geom_bodyid[c.geom2])
            arm, rest = (b1, b2) if b1 in self.contact_bodies else (b2, b1)
            if arm in self.contact_bodies and (others is None or rest in others):
                return True
        return False

    def _ft_attach(self, joint: str) -> tuple[str, list[str], list[float]]:
        """MuJoCo force and torque sensors at the frame of ``joint``'s child link."""
        child = next(j.child for j in self.arm.model.joints if j.name == joint)
        if child not in self._sensors:
            site = f"armjac_ft_{child}"
            self.spec.body(child).add_site(name=site)
            for kind in ("force", "torque"):
                self.spec.add_sensor(
                    name=f"{site}_{kind}",
                    type=getattr(mujoco.mjtSensor, f"mjSENS_{kind.upper()}"),
                    objtype=mujoco.mjtObj.mjOBJ_SITE,
                    objname=site,
                )
            self._sensors[child] = (f"{site}_force", f"{site}_torque")
            self._recompile()
        body = self.model.body(child).id
        links = [self.model.body(b).name for b in range(body, self.model.nbody)
                 if b == body or self._below(b, body)]  # fmt: skip
        links = [name for name in links if name in set(self.arm.link_names)]
        masses = [float(self.model.body(name).mass[0]) for name in links]
        return child, links, masses

    def _below(self, b: int, top: int) -> bool:
        while b > 0:
            b = int(self.model.body_parentid[b])
            if b == top:
                return True
        return False

    def _ft_read(self, child: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The parent's wrench on ``child`` (world frame, about its frame origin)."""
        m, d = self.model, self.data
        force_name, torque_name = self._sensors[child]
        body = m.body(child).id
        rot = d.xmat[body].reshape(3, 3)
        # Measured: MuJoCo's sensors give the parent's wrench on the subtree, in the site frame.
        force = rot @ d.sensor(force_name).data
        torque = rot @ d.sensor(torque_name).data
        return force, torque, d.xpos[body].copy(), rot.copy()

    def _link_com(self, link: str) -> np.ndarray:
        return self.data.xipos[self.model.body(link).id].copy()

    # -- the world --------------------------------------------------------------------
    def _new_handle(self, kind: str) -> tuple[int, str]:
        handle = len(self._handles) + 1  # 0 is the arm, as in PyBullet
        name = f"armjac_{kind}_{handle}"
        self._handles[handle] = name
        return handle, name

    def _handle(self, handle: int, kind: str) -> str:
        name = self._handles.get(handle) if isinstance(handle, int) else None
        if name is None or (kind != "body" and f"_{kind}_" not in name):
            raise InputError(f"{handle!r} is not a {kind} of this simulation")
        return name

    def add_payload(  # noqa: D102
        self, mass: float, offset: Sequence[float] = (0.0, 0.0, 0.0), radius: float = 0.03
    ) -> int:
        off = self._check_payload(mass, offset)
        handle, name = self._new_handle("payload")
        inertia = 0.4 * float(mass) * radius**2  # a solid sphere
        body = self.spec.body(self.arm.ee_link).add_body(
            name=name, pos=off, mass=float(mass), inertia=[inertia] * 3, explicitinertial=True
        )
        body.add_geom(type=mujoco.mjtGeom.mjGEOM_SPHERE, size=[radius, 0, 0], contype=0,
                      conaffinity=0, rgba=[0.9, 0.4, 0.1, 1])  # fmt: skip
        self._recompile()
        return handle

    def add_box(  # noqa: D102
        self,
        half_extents: Sequence[float],
        position: Sequence[float],
        *,
        friction: float = 0.5,
        color: Sequence[float] = (0.6, 0.5, 0.4, 1.0),
        stiffness: float | None = None,
        damping: float | None = None,
    ) -> int:
        self._require()
        half = self._vector(half_extents, "half_extents", 3)
        pos = self._vector(position, "position", 3)
        if not (friction >= 0 and np.isfinite(friction)):
            raise InputError(f"friction must be a finite number >= 0; got {friction!r}")
        k, c = compliance(stiffness, damping)
        solref, solimp = list(CONTACT_SOLREF), list(CONTACT_SOLIMP)
        if k is not None:
            solref, solimp = self._spring(k, c)
        handle, name = self._new_handle("box")
        body = self.spec.worldbody.add_body(name=name, pos=pos)
        mu = float(friction) * LINK_FRICTION
        body.add_geom(
            name=name, type=mujoco.mjtGeom.mjGEOM_BOX, size=half, rgba=list(color),
            contype=WORLD_GROUP, conaffinity=ARM_GROUP, priority=1, friction=[mu, 0, 0],
            solref=solref, solimp=solimp,
        )  # fmt: skip
        m = self.model
        for geom in range(m.ngeom):  # an explicit pair replaces the dynamic one
            if m.geom_bodyid[geom] in self.contact_bodies and m.geom_contype[geom]:
                self.spec.add_pair(
                    geomname1=m.geom(geom).name, geomname2=name, condim=3,
                    friction=[mu, mu, 0.0, 0.0, 0.0], solref=solref,
                    solreffriction=list(FRICTION_SOLREF), solimp=solimp,
                )  # fmt: skip
        self._recompile()
        return handle

    def _spring(self, stiffness: float, damping: float) -> tuple[list, list]:
        """``solref``/``solimp`` making a contact point a spring of ``stiffness`` N/m and a
        damper of ``damping`` N·s/m for the hand as it stands.

        MuJoCo's soft contacts act on accelerations: with a constant impedance ``d`` and the
        direct (negative) ``solref`` (k, b), a point pressed in by ``r`` pushes back with
        ``m d / (1 - d) k r``, ``m`` the effective mass of the body it touches. So k is the
        stiffness over ``m d / (1 - d)``, with ``m`` the hand's effective mass along the
        vertical in the current pose: exact for a table under the hand, approximate
        elsewhere (the force over penetration, :meth:`contact_depth`, tells)."""
        q = self.get_feedback()["q"]
        jac = np.asarray(self.arm.jacobian(q))[2]
        mass = 1.0 / float(jac @ np.linalg.solve(np.asarray(self.arm.mass_matrix(q)), jac))
        scale = mass * _SPRING_IMPEDANCE / (1.0 - _SPRING_IMPEDANCE)
        d = _SPRING_IMPEDANCE
        return [-stiffness / scale, -damping / scale], [d, d, 0.001, 0.5, 2.0]

    def add_marker(  # noqa: D102
        self,
        position: Sequence[float],
        radius: float = 0.015,
        color: Sequence[float] = (0.1, 0.8, 0.1, 0.8),
    ) -> int:
        self._require()
        pos = self._vector(position, "position", 3)
        handle, name = self._new_handle("marker")
        body = self.spec.worldbody.add_body(name=name, pos=pos, mocap=True)
        body.add_geom(type=mujoco.mjtGeom.mjGEOM_SPHERE, size=[radius, 0, 0], contype=0,
                      conaffinity=0, rgba=list(color))  # fmt: skip
        self._recompile()
        return handle

    def move_marker(self, marker: int, position: Sequence[float]) -> None:  # noqa: D102
        self._require()
        pos = self._vector(position, "position", 3)
        body = self.model.body(self._handle(marker, "marker")).id
        self.data.mocap_pos[self.model.body_mocapid[body]] = pos

    def camera_image(  # noqa: D102
        self,
        width: int = 320,
        height: int = 240,
        target: Sequence[float] = (0.3, 0.0, 0.4),
        distance: float = 1.15,
        yaw: float = 45.0,
        pitch: float = -25.0,
    ) -> np.ndarray:
        self._require()
        renderer = getattr(self, "_renderer", None)
        if renderer is None or (renderer.width, renderer.height) != (width, height) or \
                self._renderer_model is not self.model:  # fmt: skip
            vis = self.model.vis
            vis.global_.offwidth = max(width, vis.global_.offwidth)
            vis.global_.offheight = max(height, vis.global_.offheight)
            vis.global_.fovy = 60.0  # PyBullet's camera_image field of view
            vis.headlight.ambient[:] = 0.4  # lit like PyBullet's renderer, not MuJoCo's dim default
            vis.headlight.diffuse[:] = 0.6
            try:
                renderer = mujoco.Renderer(self.model, height, width)
            except Exception as exc:  # noqa: BLE001 - any OpenGL failure
                raise SimulationError(
                    f"MuJoCo cannot render ({type(exc).__name__}: {exc}); headless machines "
                    f"need MUJOCO_GL=egl or osmesa (now {os.environ.get('MUJOCO_GL')!r})"
                ) from None
            self._renderer, self._renderer_model = renderer, self.model
        camera = mujoco.MjvCamera()
        camera.lookat[:] = target
        camera.distance = distance
        camera.azimuth = yaw + 90.0  # PyBullet's yaw 0 looks along +y, MuJoCo's azimuth 0 along +x
        camera.elevation = pitch
        renderer.update_scene(self.data, camera)
        return renderer.render().copy()
