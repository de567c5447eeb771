//! The Debian package, as an operator's host gets it: `pkg/debian/build-deb.sh --binary` packages the debug
//! binary this test build already made (no release build in CI), then the `.deb` is read with
//! `dpkg-deb` (control fields, contents, conffiles, maintainer scripts), its units are checked with
//! `systemd-analyze verify`, and it is installed, upgraded and purged with `dpkg --root` into a throw-away
//! root whose maintainer scripts run chrootless (they honour `DPKG_ROOT`): the user, the state directory,
//! the permissions and the purge are checked there, and the installed binary checks the installed configs.
//!
//! A tool that is missing (cargo-deb, dpkg, systemd-analyze) skips its part with a printed reason; root is
//! needed for the install (`.ci/run` runs as root).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const UNITS: [&str; 5] = [
    "logpipe-agent.service",
    "logpipe-transfer.service",
    "logpipe-store.service",
    "logpipe-console.service",
    "logpipe-standalone.service",
];
const CONFFILES: [&str; 6] = [
    "/etc/logpipe/agent.toml",
    "/etc/logpipe/transfer.toml",
    "/etc/logpipe/standalone.toml",
    "/etc/logpipe/store.env",
    "/etc/logpipe/console.env",
    "/etc/logpipe/console.toml",
];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The target directory of this build (the binary is TARGET/debug/logpipe).
fn target_dir() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_logpipe"));
    bin.parent()
        .and_then(Path::parent)
        .expect("the binary lies in TARGET/debug")
        .to_path_buf()
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `PATH` with `$CARGO_HOME/bin` (where `cargo install cargo-deb` puts it).
fn path_with_cargo_bin() -> String {
    let path = std::env::var("PATH").unwrap_or_default();
    let cargo_home = std::env::var("CARGO_HOME")
        .ok()
        .or_else(|| std::env::var("HOME").ok().map(|h| format!("{h}/.cargo")));
    match cargo_home {
        Some(home) => format!("{home}/bin:{path}"),
        None => path,
    }
}

/// Builds the .deb once for every test of this module; `None` (with the reason printed) without the tools.
fn deb() -> Option<&'static Path> {
    static DEB: OnceLock<Option<PathBuf>> = OnceLock::new();
    DEB.get_or_init(|| {
        let path = path_with_cargo_bin();
        let cargo_deb = Command::new("cargo-deb")
            .arg("--version")
            .env("PATH", &path)
            .output();
        if !cargo_deb.is_ok_and(|o| o.status.success()) {
            eprintln!(
                "SKIP: cargo-deb is not installed (`cargo install cargo-deb`; .ci/setup does it)"
            );
            return None;
        }
        if !have("dpkg-deb") {
            eprintln!("SKIP: dpkg-deb is not installed");
            return None;
        }
        let out_dir = target_dir().join("debug/pkg-test");
        let _ = std::fs::remove_dir_all(&out_dir);
        std::fs::create_dir_all(&out_dir).expect("mkdir the output directory");
        // Stripped and fast-compressed by the system's xz: seconds, where cargo-deb's own compressor
        // takes minutes on a loaded machine.
        let output = Command::new(repo().join("pkg/debian/build-deb.sh"))
            .arg("--binary")
            .arg(env!("CARGO_BIN_EXE_logpipe"))
            .args([
                "--strip",
                "--fast",
                "-Z",
                "xz",
                "--compress-system",
                "--output",
            ])
            .arg(&out_dir)
            .env("PATH", &path)
            .env("CARGO_TARGET_DIR", target_dir())
            .current_dir(repo())
            .output()
            .expect("run pkg/debian/build-deb.sh");
        assert!(
            output.status.success(),
            "build-deb.sh failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let deb = std::fs::read_dir(&out_dir)
            .expect("read the output directory")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "deb"))
            .expect("build-deb.sh made a .deb");
        Some(deb)
    })
    .as_deref()
}

/// Runs a command, asserting success; returns stdout.
fn run(command: &mut Command) -> String {
    let output = command.output().expect("run a command");
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn dpkg_deb(args: &[&str], deb: &Path) -> String {
    run(Command::new("dpkg-deb").args(args).arg(deb))
}

#[test]
fn the_package_has_its_control_fields_files_and_conffiles() {
    let Some(deb) = deb() else { return };
    let field = |name: &str| {
        dpkg_deb(&["-f"], deb)
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::to_string))
    };
    assert_eq!(field("Package").as_deref(), Some("logpipe"));
    assert_eq!(
        field("Version").as_deref(),
        Some(format!("{}-1", env!("CARGO_PKG_VERSION")).as_str())
    );
    assert_eq!(field("Section").as_deref(), Some("admin"));
    // The synopsis is one line under 80 characters (Debian policy 3.4.1); the extended text follows.
    let control = dpkg_deb(&["-f"], deb);
    let description: Vec<&str> = control
        .lines()
        .skip_while(|l| !l.starts_with("Description: "))
        .collect();
    assert!(
        description.first().is_some_and(|l| l.len() < 80),
        "{description:?}"
    );
    assert!(
        description
            .get(1)
            .is_some_and(|l| l.starts_with(" logpipe tails")),
        "{description:?}"
    );
    let depends = field("Depends").unwrap_or_default();
    assert!(
        depends.contains("passwd"),
        "useradd comes from passwd: {depends}"
    );
    assert!(
        depends.contains("libc6"),
        "$auto found the C library: {depends}"
    );

    let listing = dpkg_deb(&["-c"], deb);
    let mut expected: Vec<String> = [
        "./usr/bin/logpipe",
        "./usr/share/man/man1/logpipe.1",
        "./usr/share/man/man1/logpipe-agent.1",
        "./usr/share/man/man1/logpipe-transfer.1",
        "./usr/share/man/man1/logpipe-store.1",
        "./usr/share/man/man1/logpipe-console.1",
        "./usr/share/bash-completion/completions/logpipe",
        "./usr/share/zsh/vendor-completions/_logpipe",
        "./usr/share/fish/vendor_completions.d/logpipe.fish",
    ]
    .map(String::from)
    .to_vec();
    expected.extend(UNITS.map(|u| format!("./lib/systemd/system/{u}")));
    expected.extend(CONFFILES.map(|c| format!(".{c}")));
    for path in &expected {
        assert!(
            listing
                .lines()
                .any(|l| l.ends_with(&format!(" {path}")) || l.contains(&format!(" {path} "))),
            "{path} is not in the package:\n{listing}"
        );
    }
    let mode_of = |path: &str| {
        listing
            .lines()
            .find(|l| l.ends_with(&format!(" {path}")))
            .map(|l| l.split_whitespace().next().unwrap_or_default().to_string())
    };
    assert_eq!(mode_of("./usr/bin/logpipe").as_deref(), Some("-rwxr-xr-x"));
    for secret_holder in ["./etc/logpipe/console.env", "./etc/logpipe/console.toml"] {
        assert_eq!(
            mode_of(secret_holder).as_deref(),
            Some("-rw-r-----"),
            "{secret_holder}"
        );
    }

    // Every config is a conffile, and nothing else is.
    let conffiles = run(Command::new("dpkg-deb")
        .args(["-I"])
        .arg(deb)
        .arg("conffiles"));
    let mut listed: Vec<&str> = conffiles
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    listed.sort_unstable();
    let mut wanted = CONFFILES.to_vec();
    wanted.sort_unstable();
    assert_eq!(listed, wanted);

    // The maintainer scripts are ours, with the user creation and the purge.
    let postinst = run(Command::new("dpkg-deb")
        .args(["-I"])
        .arg(deb)
        .arg("postinst"));
    assert!(
        postinst.contains("useradd") && postinst.contains("--groups adm"),
        "{postinst}"
    );
    let postrm = run(Command::new("dpkg-deb").args(["-I"]).arg(deb).arg("postrm"));
    assert!(
        postrm.contains("purge") && postrm.contains("userdel"),
        "{postrm}"
    );
    let prerm = run(Command::new("dpkg-deb").args(["-I"]).arg(deb).arg("prerm"));
    assert!(prerm.contains("systemctl stop"), "{prerm}");

    // The generated man page and completion describe this binary's flags.
    let root = tempfile::tempdir().expect("tempdir");
    run(Command::new("dpkg-deb").arg("-x").arg(deb).arg(root.path()));
    let page = std::fs::read_to_string(root.path().join("usr/share/man/man1/logpipe-agent.1"))
        .expect("read the man page");
    assert!(page.contains("check\\-config"), "{page}");
    let bash = std::fs::read_to_string(
        root.path()
            .join("usr/share/bash-completion/completions/logpipe"),
    )
    .expect("read the completion");
    assert!(
        bash.contains("--log-format") && bash.contains("standalone"),
        "{bash}"
    );
}

#[test]
fn the_units_pass_systemd_analyze_verify() {
    let Some(deb) = deb() else { return };
    if !have("systemd-analyze") {
        eprintln!("SKIP: systemd-analyze is not installed (Debian package systemd)");
        return;
    }
    // The units name /usr/bin/logpipe, which verify wants to exist: check them inside the extracted root,
    // with the host's units beside them (the targets they are ordered against).
    let root = tempfile::tempdir().expect("tempdir");
    run(Command::new("dpkg-deb").arg("-x").arg(deb).arg(root.path()));
    let units_dir = root.path().join("lib/systemd/system");
    run(Command::new("cp")
        .args(["-rn", "/lib/systemd/system/."])
        .arg(&units_dir));
    let units: Vec<PathBuf> = UNITS.iter().map(|u| units_dir.join(u)).collect();
    let output = Command::new("systemd-analyze")
        .arg(format!("--root={}", root.path().display()))
        // Documentation=man:... would be looked up in the throw-away root's man database.
        .args(["--man=no", "verify"])
        .args(UNITS.map(|u| format!("/lib/systemd/system/{u}")))
        .output()
        .expect("run systemd-analyze");
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Every complaint names the unit file (`FILE:LINE: Unknown key ...`, `UNIT: Command ... is not
    // executable`), and verify exits 0 on some of them: any line naming one of ours fails the test.
    let problems: Vec<&str> = stderr
        .lines()
        .filter(|l| UNITS.iter().any(|u| l.contains(u)))
        .collect();
    assert!(
        output.status.success() && problems.is_empty(),
        "systemd-analyze verify {units:?}:\n{stderr}"
    );
}

#[test]
fn every_role_unit_is_sandboxed_and_notifies() {
    // Read from the source tree: this part needs no tool.
    for unit in UNITS {
        let text = std::fs::read_to_string(repo().join("pkg/debian/systemd").join(unit))
            .expect("read the unit");
        let role = unit
            .trim_start_matches("logpipe-")
            .trim_end_matches(".service");
        for line in [
            "Type=notify".to_string(),
            "User=logpipe".to_string(),
            "WatchdogSec=60s".to_string(),
            "ProtectSystem=strict".to_string(),
            format!("ReadWritePaths=/var/lib/logpipe/{role}"),
            format!("StateDirectory=logpipe/{role}"),
            "NoNewPrivileges=yes".to_string(),
            "PrivateTmp=yes".to_string(),
            "CapabilityBoundingSet=".to_string(),
            "LimitNOFILE=65536".to_string(),
            "WantedBy=multi-user.target".to_string(),
        ] {
            assert!(text.lines().any(|l| l == line), "{unit} lacks `{line}`");
        }
        let reads_logs = role == "agent" || role == "standalone";
        let home = if reads_logs {
            "ProtectHome=read-only"
        } else {
            "ProtectHome=yes"
        };
        assert!(text.lines().any(|l| l == home), "{unit} lacks `{home}`");
        // Only the agent reloads; the others would die of SIGHUP, so they must not offer a reload.
        let reloads = text
            .lines()
            .any(|l| l == "ExecReload=/bin/kill -HUP $MAINPID");
        assert_eq!(reloads, role == "agent", "{unit}: ExecReload");
        let checks = text.lines().any(|l| {
            l.starts_with("ExecStartPre=/usr/bin/logpipe ")
                && l.contains("--check-config --offline")
        });
        assert_eq!(
            checks,
            role == "agent" || role == "transfer",
            "{unit}: ExecStartPre --check-config"
        );
    }
}

/// A root dpkg can install into: its database, and the host's accounts (so `adm` exists there).
fn throwaway_root() -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    let r = root.path();
    for dir in [
        "var/lib/dpkg/info",
        "var/lib/dpkg/updates",
        "var/lib/dpkg/triggers",
        "etc",
    ] {
        std::fs::create_dir_all(r.join(dir)).expect("mkdir");
    }
    std::fs::write(r.join("var/lib/dpkg/status"), "").expect("dpkg status");
    for file in ["passwd", "group", "shadow", "gshadow"] {
        let host = Path::new("/etc").join(file);
        if host.exists() {
            std::fs::copy(&host, r.join("etc").join(file)).expect("copy an account file");
        }
    }
    root
}

fn dpkg(root: &Path, args: &[&str]) -> String {
    run(Command::new("dpkg")
        .arg(format!("--root={}", root.display()))
        .args([
            "--force-script-chrootless",
            "--force-depends",
            "--log=/dev/null",
        ])
        .args(args))
}

fn account_line(root: &Path, file: &str, name: &str) -> Option<String> {
    std::fs::read_to_string(root.join("etc").join(file))
        .ok()?
        .lines()
        .find(|l| l.starts_with(&format!("{name}:")))
        .map(str::to_string)
}

#[test]
fn installing_creates_the_user_keeps_edited_conffiles_on_upgrade_and_purge_removes_everything() {
    use std::os::unix::fs::MetadataExt;
    let Some(deb) = deb() else { return };
    if !have("dpkg") || !have("useradd") {
        eprintln!("SKIP: dpkg or useradd is not installed");
        return;
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIP: installing into a throw-away root needs root (chown, useradd --prefix)");
        return;
    }
    let root = throwaway_root();
    let r = root.path();
    let deb = deb.to_str().expect("utf-8 path");
    let host_passwd = std::fs::read_to_string("/etc/passwd").ok();
    dpkg(r, &["-i", deb]);

    // The user: a system account in its own group and in adm, no shell, home on the state directory.
    let user = account_line(r, "passwd", "logpipe").expect("postinst made the user");
    let fields: Vec<&str> = user.split(':').collect();
    assert_eq!(fields[5], "/var/lib/logpipe", "{user}");
    assert_eq!(fields[6], "/usr/sbin/nologin", "{user}");
    let uid: u32 = fields[2].parse().expect("uid");
    assert!(uid < 1000, "a system uid: {user}");
    let group = account_line(r, "group", "logpipe").expect("postinst made the group");
    let gid: u32 = group
        .split(':')
        .nth(2)
        .and_then(|g| g.parse().ok())
        .expect("gid");
    let adm = account_line(r, "group", "adm").expect("adm exists");
    assert!(
        adm.rsplit(':')
            .next()
            .is_some_and(|members| members.split(',').any(|m| m == "logpipe")),
        "logpipe is in adm: {adm}"
    );
    // The host's own accounts are untouched.
    assert_eq!(std::fs::read_to_string("/etc/passwd").ok(), host_passwd);

    let state = std::fs::metadata(r.join("var/lib/logpipe")).expect("the state directory");
    assert_eq!(
        (state.uid(), state.gid(), state.mode() & 0o7777),
        (uid, gid, 0o750)
    );
    for conffile in CONFFILES {
        let meta = std::fs::metadata(r.join(conffile.trim_start_matches('/'))).expect("conffile");
        assert_eq!(
            (meta.uid(), meta.gid(), meta.mode() & 0o777),
            (0, gid, 0o640),
            "{conffile}"
        );
    }
    for unit in UNITS {
        assert!(r.join("lib/systemd/system").join(unit).exists(), "{unit}");
        // Installed, not enabled: the operator enables the roles this host runs.
        assert!(!r
            .join("etc/systemd/system/multi-user.target.wants")
            .join(unit)
            .exists());
    }

    // The installed binary accepts the installed example configs.
    let bin = r.join("usr/bin/logpipe");
    for (role, file) in [("agent", "agent.toml"), ("transfer", "transfer.toml")] {
        let out = run(Command::new(&bin)
            .args([role, "--check-config", "--offline", "--config"])
            .arg(r.join("etc/logpipe").join(file)));
        assert!(out.contains("checks passed"), "{out}");
    }
    let standalone =
        logpipe::config::standalone::StandaloneConfig::load(&r.join("etc/logpipe/standalone.toml"));
    assert!(standalone.is_ok(), "{:?}", standalone.err());
    let console =
        logpipe::config::console::ConsoleConfig::load(&r.join("etc/logpipe/console.toml"));
    assert!(console.is_ok(), "{:?}", console.err());

    // An upgrade (the same version again) keeps an edited conffile and the user.
    let agent_toml = r.join("etc/logpipe/agent.toml");
    let edited = std::fs::read_to_string(&agent_toml)
        .expect("read")
        .replace("127.0.0.1:9092", "kafka-1:9092");
    std::fs::write(&agent_toml, &edited).expect("edit the conffile");
    dpkg(r, &["--force-confold", "-i", deb]);
    assert_eq!(std::fs::read_to_string(&agent_toml).expect("read"), edited);
    assert_eq!(account_line(r, "passwd", "logpipe"), Some(user.clone()));

    // Remove keeps the configs, the data and the user; purge takes them.
    std::fs::create_dir_all(r.join("var/lib/logpipe/agent")).expect("data");
    std::fs::write(r.join("var/lib/logpipe/agent/checkpoints.json"), "{}").expect("data");
    std::fs::create_dir_all(r.join("etc/systemd/system/multi-user.target.wants")).expect("mkdir");
    std::os::unix::fs::symlink(
        "/lib/systemd/system/logpipe-agent.service",
        r.join("etc/systemd/system/multi-user.target.wants/logpipe-agent.service"),
    )
    .expect("enable the agent as systemctl would");
    dpkg(r, &["-r", "logpipe"]);
    assert!(!bin.exists());
    assert!(agent_toml.exists() && r.join("var/lib/logpipe/agent/checkpoints.json").exists());
    assert!(account_line(r, "passwd", "logpipe").is_some());
    dpkg(r, &["-P", "logpipe"]);
    assert!(
        !r.join("var/lib/logpipe").exists(),
        "purge removes the data"
    );
    assert!(
        !r.join("etc/logpipe/agent.toml").exists(),
        "purge removes the conffiles"
    );
    assert!(
        std::fs::symlink_metadata(
            r.join("etc/systemd/system/multi-user.target.wants/logpipe-agent.service")
        )
        .is_err(),
        "purge removes the enablement link"
    );
    assert_eq!(account_line(r, "passwd", "logpipe"), None);
    assert_eq!(account_line(r, "group", "logpipe"), None);
    let adm = account_line(r, "group", "adm").expect("adm stays");
    assert!(!adm.contains("logpipe"), "{adm}");
}

#[test]
fn the_units_offline_check_passes_with_the_broker_down_and_refuses_a_bad_file() {
    use crate::common::process::run_output;
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("agent.toml");
    // Nobody listens on the broker's port: the unit's check must not care (the agent retries on its own).
    std::fs::write(
        &good,
        format!(
            "data_dir = \"{}\"\n[kafka]\nbrokers = \"127.0.0.1:{}\"\n[[collect]]\npath = \"/var/log/*.log\"\ntopic = \"t\"\n",
            dir.path().join("data").display(),
            crate::common::ports::free_port()
        ),
    )
    .expect("write");
    let (status, out, err) = run_output(&[
        "agent",
        "--check-config",
        "--offline",
        "--config",
        good.to_str().expect("utf-8"),
    ]);
    assert!(status.success(), "{out}{err}");
    assert!(out.contains("no connection tried"), "{out}");
    // A CA file that does not exist is a problem of the file, found offline too.
    let missing_ca = dir.path().join("ca-missing.toml");
    let text = std::fs::read_to_string(&good).expect("read").replace(
        "[[collect]]",
        "security_protocol = \"ssl\"\n[kafka.tls]\nca_file = \"/nonexistent/ca.pem\"\n[[collect]]",
    );
    std::fs::write(&missing_ca, text).expect("write");
    let (status, out, err) = run_output(&[
        "agent",
        "--check-config",
        "--offline",
        "--config",
        missing_ca.to_str().expect("utf-8"),
    ]);
    assert!(!status.success(), "{out}{err}");
    assert!(out.contains("FAIL") && out.contains("ca.pem"), "{out}");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "data_dir = [").expect("write");
    let (status, out, _) = run_output(&[
        "agent",
        "--check-config",
        "--offline",
        "--config",
        bad.to_str().expect("utf-8"),
    ]);
    assert!(!status.success() && out.contains("FAIL"), "{out}");
    let (status, _, err) = run_output(&[
        "agent",
        "--offline",
        "--config",
        good.to_str().expect("utf-8"),
    ]);
    assert!(
        !status.success() && err.contains("--check-config"),
        "--offline alone is refused: {err}"
    );
}
