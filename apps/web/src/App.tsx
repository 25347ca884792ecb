import { useEffect } from "react";
import { ReactFlowProvider } from "@xyflow/react";
import { QueryClientProvider } from "@tanstack/react-query";
import { queryClient } from "./queryClient";
import { ConflictBanner, Header } from "./components/Header";
import { PreviewBar } from "./components/HistoryPanel";
import { Sidebar } from "./components/Sidebar";
import { Canvas } from "./components/Canvas";
import { RightPanel } from "./components/RightPanel";
import { LineagePanel } from "./components/LineagePanel";
import { HelpOverlay, ImportDialog, Toasts } from "./components/Overlays";
import { useKeyboard } from "./keyboard";
import { lastFlow, openFlow } from "./session";
import { canonical, onEditError, useFlowStore } from "./store/flowStore";
import { ui } from "./store/uiStore";
import { auth, useAuthStore } from "./auth/authStore";
import { LoginPage } from "./components/LoginPage";
import { AccountDialog } from "./components/AccountDialog";
import { ConnectionsDialog } from "./components/ConnectionsDialog";
import { SchemasDialog } from "./components/SchemasDialog";

onEditError((m) => ui.toast(m, "error"));

function Shortcuts() {
  useKeyboard();
  return null;
}

function useStartup() {
  useEffect(() => {
    const fromUrl = new URLSearchParams(window.location.search).get("flow");
    const id = fromUrl ?? lastFlow();
    if (id) void openFlow(id, { force: true });
  }, []);
  // warn before leaving with unsaved changes
  useEffect(() => {
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      const s = useFlowStore.getState();
      if (s.savedJson !== canonical(s.doc)) e.preventDefault();
    };
    window.addEventListener("beforeunload", onBeforeUnload);
    return () => window.removeEventListener("beforeunload", onBeforeUnload);
  }, []);
}

export function App() {
  const status = useAuthStore((s) => s.status);
  useEffect(() => {
    void auth.check();
  }, []);
  // a signed-out page keeps nothing of the previous user's answers
  useEffect(() => {
    if (status === "anonymous") queryClient.clear();
  }, [status]);
  if (status === "checking") return <div className="mr-login-page" data-testid="auth-checking" />;
  if (status === "anonymous") return <LoginPage />;
  return <Designer />;
}

function Designer() {
  useStartup();
  return (
    <QueryClientProvider client={queryClient}>
      <ReactFlowProvider>
        <Shortcuts />
        <div className="mr-app" data-testid="app">
          <Header />
          <ConflictBanner />
          <Sidebar />
          <main className="mr-main">
            <PreviewBar />
            <Canvas />
            <LineagePanel />
          </main>
          <RightPanel />
        </div>
        <HelpOverlay />
        <ImportDialog />
        <AccountDialog />
        <ConnectionsDialog />
        <SchemasDialog />
        <Toasts />
      </ReactFlowProvider>
    </QueryClientProvider>
  );
}
