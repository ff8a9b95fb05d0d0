import { render } from "preact";
import { App } from "./components/App";
import { boot } from "./session";
import "./styles.css";

void boot();
render(<App />, document.getElementById("app")!);
