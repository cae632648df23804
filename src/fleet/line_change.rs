//! A cluster moving from one image line to another (0.3 to 0.4) changes
//! what every daemon keeps and where: ZooKeeper's data gets a volume of its
//! own in 0.4, so the first 0.4 master starts with an empty ZooKeeper and
//! must sync from the others. Such a move is rendered only when the
//! inventory says it (`line_change: 0.3 to 0.4`); the line a host runs is
//! read from the compose file its folder holds, the one last rolled out.

use std::path::Path;

use crate::container::compose;
use crate::finding::Finding;
use crate::line;
use crate::settings::Settings;

/// The error for the host whose folder `folder` held a compose file of
/// another line than `settings` gives it, unless `allowed` (the
/// inventory's `line_change:`, `0.3 to 0.4`) names that move. The line of
/// the folder's file is its image's tag, else the line whose own volume it
/// mounts; a folder without a compose file, or one that shows no line, has
/// nothing to compare.
pub fn refused(folder: &Path, settings: &Settings, allowed: Option<&str>) -> Option<Finding> {
    let path = folder.join("docker-compose.yml");
    let shown = path.display().to_string();
    let text = match crate::layers::read_input(&path, &shown) {
        Ok(Some(text)) => text,
        Ok(None) => return None,
        Err(e) => {
            return Some(Finding::error(
                shown,
                format!("cannot be read to see which image line the host runs: {e:#}"),
                "make it readable, or remove the host's folder if the host is new".into(),
            ));
        }
    };
    let Ok(service) = compose::read(&text) else {
        return None;
    };
    let image = service.settings.get("image")?;
    let inside = service.lists.get("volumes").into_iter().flatten();
    let from = line::of_container(image, inside.map(|v| line::inside(v)))?;
    let to = settings.line();
    if from.name == to.name {
        return None;
    }
    let change = format!("{} to {}", from.name, to.name);
    if allowed.is_some_and(|a| a.split_whitespace().eq(change.split_whitespace())) {
        return None;
    }
    Some(Finding::error(
        format!("{shown} (image {image})"),
        format!(
            "the host runs the {} line and the inventory moves it to the {} line ({}): every \
             daemon's files, users and data change, and a master's ZooKeeper data does not \
             move with it",
            from.name,
            to.name,
            settings.text("PANTERAS_DOCKER_IMAGE")
        ),
        format!(
            "read README's \"Moving to PanteraS 0.4.4\" (the order that keeps the quorum), then \
             add `line_change: {change}` to the inventory"
        ),
    ))
}
