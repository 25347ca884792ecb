// Imported for its effect, ahead of any `from "kafkajs"`: ES modules evaluate imports in order, and
// the adaptations must be in place before kafkajs's main module loads (see ./install.ts).
import { installKafkajsAdaptations } from "./install.js";

installKafkajsAdaptations();
